"""Word to PDF (SPEC S9, issue 20): .docx templates uploaded by users, checked as untrusted input
(`templates`), filled from the invoice snapshot in a Jinja sandbox, and converted to PDF by one
LibreOffice kept running (`converter`)."""
