"""File storage: presigned URLs and the few object calls the API makes to S3-compatible storage."""
