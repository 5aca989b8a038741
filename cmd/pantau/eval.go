package main

import (
	"context"
	"errors"
	"io"
)

// cmdEval is being built (issue 4).
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("eval: not built yet")
}
