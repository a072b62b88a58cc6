"""Types shared by every layer: outcomes of gathering, findings and the report."""
