"""``shipform import compose``: a typed, hardened shipform app written from a compose file.

Reading the file (:mod:`.compose_file`), deciding what each service becomes (:mod:`.services`), which services
connect to which (:mod:`.edges`) and writing the Python source (:mod:`.source`) are separate steps; the command
(:mod:`.command`) only wires them to files. Nothing here imports cdk8s: the app it writes is checked by synthesizing
it, like any other app.
"""
