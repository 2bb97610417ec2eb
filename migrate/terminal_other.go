//go:build !(linux || aix || solaris || zos || darwin || dragonfly || freebsd || netbsd || openbsd)

package migrate

import "os"

// IsTerminal reports false on this platform, where the check cannot tell a
// terminal apart; a prompt then needs -yes.
func IsTerminal(*os.File) bool { return false }
