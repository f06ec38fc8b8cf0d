package schedule

import (
	"context"
	"errors"
	"net"

	"github.com/adjc/adjc/jcapi"
	"github.com/adjc/adjc/ldapx"
)

// IsUnreachable reports whether err means Active Directory or JumpCloud could
// not be reached or is overloaded, so that trying again later may work: a
// network error, a domain controller that is unavailable or busy
// (ldapx.ErrUnavailable), or JumpCloud answering 5xx or 429 after the
// client spent its own retries. Bad credentials, refused changes and
// deletion thresholds are not: retrying sooner would not fix them.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var netErr net.Error
	return errors.Is(err, ldapx.ErrUnavailable) ||
		errors.Is(err, jcapi.ErrServer) ||
		errors.Is(err, jcapi.ErrRateLimited) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &netErr)
}
