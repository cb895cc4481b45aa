//go:build !unix

package main

import "os"

// notifyResize reports nothing where there is no SIGWINCH: a resized window is followed from the
// next frame on, when the size is read again.
func notifyResize() (resized <-chan os.Signal, stop func()) {
	return nil, func() {}
}
