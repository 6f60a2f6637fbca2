from gateway.cli import main

if __name__ == "__main__":  # spawned workers import this module again: no second run
    main()
