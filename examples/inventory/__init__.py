"""A small inventory service with planted security defects, for trying secreview.

Every line carrying a `# planted: RULE` comment is a real defect the review
must report; everything else (including the look-alikes marked `# safe:`)
must stay quiet.
"""
