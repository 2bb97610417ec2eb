//go:build linux || aix || solaris || zos || darwin || dragonfly || freebsd || netbsd || openbsd

package migrate

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal, by asking the kernel for its
// terminal attributes. A character device such as /dev/null is not a
// terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlGetTermios)
	return err == nil
}
