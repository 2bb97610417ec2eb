//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package migrate

import "golang.org/x/sys/unix"

const ioctlGetTermios = unix.TIOCGETA
