from tests.fragments import CREATE_PASS, VALIDATE


async def test_create_and_validate(api):
    created = await api.gql(CREATE_PASS, {"input": {"holderName": "Ada"}})
    code = created["createPass"]["pass"]["code"]
    first = await api.gql(VALIDATE, {"input": {"code": code}})
    assert first["validatePass"]["valid"] is True
