"""HTTP plumbing shared by every domain's views, and the static shop and dashboard pages."""
