"""ipamsync: keep EfficientIP SOLIDserver in sync with AWS EC2.

This package is the Lambda code (shipped as a layer), and keeps import-time work small: every
Lambda imports it on a cold start.
"""

__version__ = "0.1.0"
