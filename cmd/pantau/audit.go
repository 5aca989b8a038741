package main

import (
	"context"
	"errors"
	"io"
)

// cmdAudit is being built (issue 5).
func cmdAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("audit: not built yet")
}
