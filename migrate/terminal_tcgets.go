//go:build linux || aix || solaris || zos

package migrate

import "golang.org/x/sys/unix"

const ioctlGetTermios = unix.TCGETS
