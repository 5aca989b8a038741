package main

import (
	"context"
	"errors"
	"io"
)

// These subcommands are being built (issues 4 and 5); each moves to its own
// file when it lands.

func cmdScore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("score: not built yet")
}

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("eval: not built yet")
}

func cmdAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("audit: not built yet")
}
