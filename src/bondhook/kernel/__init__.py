"""The kernel edge: links as sysfs and ethtool show them, a bond created by netlink, a plan
carried out and read back."""
