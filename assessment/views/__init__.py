"""Views of the assessment app: reader workflow, images, staff pages and the API."""
