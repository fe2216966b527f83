"""The example mail worker: sends what the API queues."""
