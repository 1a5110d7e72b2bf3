"""The knowledge base's rules, pure: who reads which sheet, where a sheet is searched, the French words of one
meaning a query also looks for, what is due for review, and the difference between two versions. Standard library
only."""
