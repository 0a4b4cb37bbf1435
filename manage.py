#!/usr/bin/env python
from channelhub.cli import main

if __name__ == "__main__":
    main()
