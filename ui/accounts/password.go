package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id: memory-hard, so guessing on GPUs
// costs far more than with bcrypt, and with no 72-byte limit to truncate
// long passphrases. The parameters are OWASP's minimum recommendation for
// argon2id (19 MiB, 2 passes, 1 lane), which keeps a login near 30 ms on a
// small server; they are stored in every hash, so raising them later only
// affects new hashes.
type params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
}

var defaultParams = params{memory: 19 * 1024, time: 2, threads: 1, keyLen: 32}

const saltLen = 16

// HashPassword returns pw's argon2id hash in PHC string form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func HashPassword(pw string) (string, error) {
	return hashWith(pw, defaultParams)
}

// HashPasswordCost hashes with a chosen memory (KiB) and number of passes,
// within the bounds VerifyPassword accepts. Tests use it to stay fast;
// production code uses HashPassword.
func HashPasswordCost(pw string, memoryKiB, passes uint32) (string, error) {
	if memoryKiB < 8 || memoryKiB > maxMemoryKiB || passes < 1 || passes > maxTime {
		return "", fmt.Errorf("password hash cost: memory must be 8..%d KiB and passes 1..%d", maxMemoryKiB, maxTime)
	}
	return hashWith(pw, params{memory: memoryKiB, time: passes, threads: 1, keyLen: 32})
}

func hashWith(pw string, p params) (string, error) {
	if len(pw) > MaxPasswordBytes {
		return "", fmt.Errorf("password: longer than %d bytes", MaxPasswordBytes)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash that cannot be read. The message
// never contains the hash.
var ErrBadHash = errors.New("password hash: not an argon2id hash this build can read")

// Bounds on parameters read from a hash, so that a tampered users file
// cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 10
)

// VerifyPassword reports whether pw matches hash, in constant time.
func VerifyPassword(hash, pw string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordBytes {
		// Still spend the time, so length does not tell anything.
		pw = ""
		_ = argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, p.keyLen)
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, p.keyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func parseHash(hash string) (params, []byte, []byte, error) {
	var p params
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if p.memory < 8 || p.memory > maxMemoryKiB || p.time < 1 || p.time > maxTime || p.threads < 1 {
		return p, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, ErrBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrBadHash
	}
	p.keyLen = uint32(len(key))
	return p, salt, key, nil
}
