"""GraphQL documents the tests share."""

PASS_FIELDS = """
  id code type name note holderName holderEmail holderPhone status state maxUsages
  usagesCount remainingUsages validFrom validUntil metadata attributes publicUrl
  customFields { key value isPublic } template { id name } customer { id email }
  createdAt updatedAt
"""

CREATE_PASS = f"""
mutation Create($input: CreatePassInput!) {{
  createPass(input: $input) {{ pass {{ {PASS_FIELDS} }} }}
}}
"""

VALIDATE = """
mutation Validate($input: ValidatePassInput!) {
  validatePass(input: $input) {
    valid reason remainingUsages
    pass { id code status usagesCount }
    scan { id result reason scanId deviceId location usagesAfter }
  }
}
"""

CREATE_TEMPLATE = """
mutation CreateTemplate($input: CreateTemplateInput!) {
  createTemplate(input: $input) { template { id name kind defaultType defaultMaxUsages
    defaultValidDays barcodeFormat fieldLayout } }
}
"""

UPSERT_CUSTOMER = """
mutation Upsert($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { created customer { id externalId email name } }
}
"""
