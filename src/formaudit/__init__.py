"""formaudit: digitize and audit Chinese budget-performance self-evaluation forms (绩效自评表)."""

__version__ = "0.1.0"
