"""`python -m ecommerce_stream` is the same as the `ecommerce-stream` console script."""

from ecommerce_stream.app import main

main()
