"""Reviewers move to-be options through review: draft, in review, approved or rejected."""
