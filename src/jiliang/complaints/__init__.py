"""Complaints and reports (投诉举报): a public two-step form, ticket follow-up, routing to the
county regulator of the place, working-day deadlines, the regulator's workflow, publication and
whistle-blower rewards."""
