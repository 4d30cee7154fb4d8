"""Forms of compensation: what a customer may turn a voucher into (balance credit, months of
service extension, a partner voucher, a donation), set per incident by finance with four eyes,
the partner code pools, and the record of what each redemption did (for billing)."""
