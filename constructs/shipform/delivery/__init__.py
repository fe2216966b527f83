"""What delivering an app needs beside its rendered files: the lock file of image digests (and the commands that
write it), the registry client that reads digests, the git repository the app lives in (for CI workflows and
GitOps objects), and the local secret files compose mounts. The synth pipeline imports this package; it never
imports the pipeline."""
