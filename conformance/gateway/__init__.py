"""prepareAuthInfo with the wallet as client: the suite plays the Alipay+ gateway and judges the
wallet."""
