"""Limits of the wire format spoken between the parent and the sandboxed child.

One module, imported by both sides: :mod:`grader.sandbox.protocol` and
:mod:`grader.sandbox.session` in the parent, and ``child.py`` inside the sandbox
(which loads this file by path from its own folder; bubblewrap binds it next to the
harness). It must therefore stay standalone: constants only, no imports.

The child keeps its answers inside these limits (anything larger or deeper stays in
the child behind a handle, text is cut); the parent rejects a frame beyond them as a
protocol violation and cuts every text again, since the child is not trusted to
have done so. Resource limits of the child process (memory, time, files) are not
wire limits: they are :class:`grader.sandbox.session.Limits`.
"""

# Frame structure
MAX_HEADER_BYTES = 1 << 20  # JSON header of one frame
MAX_DEPTH = 8  # nesting of lists/tuples/dicts inside a value
MAX_ARRAYS = 256  # arrays in one frame
MAX_NDIM = 8  # dimensions of one array
MAX_SEQUENCE = 64  # items of one list or tuple
MAX_DICT = 64  # entries of one dict
MAX_ARGS_AFTER = 32  # arguments sent back after a call (return_args)

# Substituting calls (see grader/calls.py). A building block's arguments in a callback
# frame are one sequence (at most MAX_SEQUENCE) and one dict (at most MAX_DICT); the
# child's proxy refuses more before it sends anything.
MAX_TOKEN = 64  # characters of a token's id (a reference cache the parent keeps)
MAX_SKELETON_DEPTH = 4  # nesting of a token's skeleton (its cache's structure)
MAX_STAND_IN = 1 << 22  # numbers in one read-only zero array the child makes from a skeleton

# Texts carried in a frame (characters)
MAX_STRING = 200  # a string value
MAX_KEY = 100  # a dict key
MAX_TYPE_NAME = 60  # the type name of a handle
MAX_WARNINGS = 5  # Python warnings kept per call
MAX_WARNING_CHARS = 200  # one warning's text
MAX_MESSAGE = 500  # an exception's message
MAX_ERROR_FIELD = 4000  # a traceback (student frames only) or another error field
MAX_WHERE = 300  # a file name, a notebook cell label, a module path

# The load report
MAX_MODULES = 200  # modules described in the load report
MAX_MODULE_ERRORS = 20  # errors kept per module
MAX_LOST = 30  # functions named that a failed load left undefined, per error
MAX_DEFINITIONS = 10  # places listed per function defined several times
