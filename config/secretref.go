package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/adjc/adjc/secret"
)

// SecretRef says where a secret comes from without holding it until asked:
// a file (or "-" for stdin), an environment variable, or a no-echo prompt.
// Loading a config never reads a secret file, so a command that does not
// need the JumpCloud key never demands one (restic's needsPassword habit).
type SecretRef struct {
	// Field is the setting's YAML path, e.g. "jumpcloud.api_key_file".
	Field string
	// What names the secret in prompts and messages: "JumpCloud API key".
	What string
	// File is the path the secret is read from; "-" is stdin.
	File string
	// Source is where File, or the secret itself, came from.
	Source Source
	// Hint says how to provide the secret, for the "not set" error.
	Hint string

	value secret.Secret // from the environment
	res   *resolver     // shared by every ref of one Load; nil in literals
}

// resolver reads secrets for one loaded Config: it owns stdin (readable
// once) and the prompt, and remembers what it has read.
type resolver struct {
	stdin  io.Reader
	prompt func(prompt string) (string, error)

	mu    sync.Mutex
	cache map[string]secret.Secret
}

// SecretValue returns a SecretRef that holds s itself, for tests and for
// secrets obtained some other way.
func SecretValue(field string, s secret.Secret) SecretRef {
	return SecretRef{Field: field, value: s}
}

// IsSet reports whether a file or a value was configured. An unset secret
// can still be resolved by prompting on a terminal.
func (r SecretRef) IsSet() bool { return r.File != "" || !r.value.IsZero() }

// Describe says how the secret is set, never what it is: "set (file
// /etc/adjc/key)", "set (stdin)", "set (env ADJC_JC_API_KEY)" or "not set".
func (r SecretRef) Describe() string {
	switch {
	case r.File == "-":
		return "set (stdin)"
	case r.File != "":
		return "set (file " + r.File + ")"
	case !r.value.IsZero() && r.Source.Kind == KindEnv:
		return "set (env " + r.Source.Name + ")"
	case !r.value.IsZero():
		return "set"
	default:
		return "not set"
	}
}

// Resolve returns the secret, reading its file or stdin, or prompting on a
// terminal when nothing is configured. A problem — a missing or unreadable
// file, a file others can read, an empty secret, nothing configured and no
// terminal — is a *[ValidationError] naming the field and the fix.
func (r SecretRef) Resolve() (secret.Secret, error) {
	if r.res == nil {
		return r.resolve(nil)
	}
	r.res.mu.Lock()
	defer r.res.mu.Unlock()
	if s, ok := r.res.cache[r.Field]; ok {
		return s, nil
	}
	s, err := r.resolve(r.res)
	if err == nil {
		r.res.cache[r.Field] = s
	}
	return s, err
}

func (r SecretRef) problem(msg, fix string) error {
	p := Problem{Field: r.Field, Source: r.Source, Msg: msg, Fix: fix}
	if r.File != "" {
		p.Value = r.File // the path, never the content
	}
	return &ValidationError{Problems: []Problem{p}}
}

func (r SecretRef) resolve(res *resolver) (secret.Secret, error) {
	var raw []byte
	switch {
	case r.File == "-":
		if res == nil || res.stdin == nil {
			return secret.Secret{}, r.problem("stdin is not available", "give the path of a file instead")
		}
		b, err := io.ReadAll(io.LimitReader(res.stdin, maxSecret+1))
		if err == nil && len(b) > maxSecret {
			return secret.Secret{}, r.problem(fmt.Sprintf("stdin holds more than %d KiB: not a %s", maxSecret>>10, r.what()), "pipe only the "+r.what()+" into adjc")
		}
		if err != nil {
			return secret.Secret{}, fmt.Errorf("config: read %s from stdin: %w", r.What, err)
		}
		raw = b
	case r.File != "":
		b, err := readSecretFile(r.File)
		if err != nil {
			var pe *permError
			var nr *notRegularError
			if errors.As(err, &nr) {
				return secret.Secret{}, r.problem("is "+nr.Error()+": a "+r.what()+" must be read from a regular file",
					"save the "+r.what()+" in a file (mode 0600), or pipe it to adjc's stdin with - as the file")
			}
			if errors.As(err, &pe) {
				return secret.Secret{}, r.problem(
					fmt.Sprintf("permissions %04o are too open: group or others can read this %s", pe.mode, r.what()),
					"chmod 600 "+r.File)
			}
			return secret.Secret{}, r.problem("cannot read: "+unwrapPathError(err), "check the path and that adjc may read it")
		}
		raw = b
	case !r.value.IsZero():
		return r.value, nil
	default:
		if res == nil || res.prompt == nil {
			return secret.Secret{}, r.problem("no "+r.what()+" is configured and there is no terminal to ask on", r.Hint)
		}
		v, err := res.prompt(r.what() + ": ")
		if err != nil {
			return secret.Secret{}, r.problem("no "+r.what()+" is configured and the prompt failed: "+err.Error(), r.Hint)
		}
		if v == "" {
			return secret.Secret{}, r.problem("the "+r.what()+" typed at the prompt is empty", "type it when asked")
		}
		return secret.New(v), nil
	}
	// A trailing newline is how editors and `echo` end a file; it is never
	// part of a key or password.
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	if len(raw) == 0 {
		fix := "put the " + r.what() + " in the file"
		if r.File == "-" {
			fix = "pipe the " + r.what() + " into adjc's stdin"
		}
		return secret.Secret{}, r.problem("the "+r.what()+" is empty", fix)
	}
	// A file saved by a Windows editor as UTF-16, or with a byte-order
	// mark, would otherwise bind with bytes nobody typed and fail as
	// "invalid credentials", hiding the real cause.
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		return secret.Secret{}, r.problem("the "+r.what()+" starts with a UTF-8 byte-order mark", "save the file as UTF-8 without a byte-order mark (BOM)")
	}
	if !utf8.Valid(raw) {
		return secret.Secret{}, r.problem("the "+r.what()+" is not UTF-8 text (a file saved as UTF-16?)", "save the file as UTF-8 without a byte-order mark (BOM)")
	}
	return secret.New(string(raw)), nil
}

func (r SecretRef) what() string {
	if r.What == "" {
		return "secret"
	}
	return r.What
}

type permError struct{ mode fs.FileMode }

func (e *permError) Error() string { return fmt.Sprintf("permissions %04o are too open", e.mode) }

// readSecretFile reads a secret file, refusing a regular file that group or
// others may read, as ssh refuses such a private key, and anything that is
// not a regular file: a FIFO would block the read until some writer came
// (for ever, in a scheduled run), a device such as /dev/zero never ends,
// and a directory holds no secret. The file is opened without blocking
// and checked with fstat before a byte is read, so a FIFO cannot hang the
// open either. Stdin is "-", handled by the caller. Windows has no
// permission bits.
func readSecretFile(path string) ([]byte, error) {
	f, err := openNonblocking(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &notRegularError{mode: st.Mode()}
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, &permError{mode: st.Mode().Perm()}
	}
	// Bounded: a log file named by mistake must not be read whole into
	// memory.
	b, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err == nil && len(b) > maxSecret {
		return nil, fmt.Errorf("larger than %d KiB: not a secret file", maxSecret>>10)
	}
	return b, err
}

// notRegularError is a secret path that names a FIFO, a device, a socket
// or a directory.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string {
	what := "not a regular file"
	switch {
	case e.mode&fs.ModeNamedPipe != 0:
		what = "a FIFO (named pipe), not a regular file"
	case e.mode&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	case e.mode&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case e.mode.IsDir():
		what = "a directory, not a regular file"
	}
	return what
}

// maxSecret bounds a secret read from a file or stdin: API keys are 40
// characters, AD passwords at most 256.
const maxSecret = 64 << 10

// unwrapPathError drops the path from an *fs.PathError: messages already
// show it as the value.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
