//go:build !(linux || aix || solaris || zos || darwin || dragonfly || freebsd || netbsd || openbsd)

package migrate

import "os"

// IsTerminal reports false on this platform, where the check cannot
// detect a terminal, so a prompt needs -yes.
func IsTerminal(*os.File) bool { return false }
