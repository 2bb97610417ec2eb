package migrate

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Confirm writes question and " [y/N] " to w and reads one line from r.
// It returns true only for "y" or "yes", in any letter case. An empty
// line or the end of input means no.
func Confirm(r io.Reader, w io.Writer, question string) (bool, error) {
	if _, err := fmt.Fprintf(w, "%s [y/N] ", question); err != nil {
		return false, fmt.Errorf("write the confirmation prompt: %w", err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("read the answer to the confirmation prompt: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
