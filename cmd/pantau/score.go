package main

import (
	"context"
	"errors"
	"io"
)

// cmdScore is being built (issue 4).
func cmdScore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("score: not built yet")
}
