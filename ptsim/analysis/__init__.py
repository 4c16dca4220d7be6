"""What is done with results: outcomes and responders, virtual trials, follow-up, sensitivity,
calibration against the evidence. Imports the layers below it.
"""
