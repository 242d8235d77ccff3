// The translate command (see translate_command.hpp).
