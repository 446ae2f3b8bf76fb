"""Security and privacy: second factor, brute-force limits, headers, safe redirects, log masking, GDPR."""
