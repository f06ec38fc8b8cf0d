/*
 * adjcfilt.dll: an LSA password filter / notification package for Windows
 * domain controllers. It hands each password change the DC accepts to the
 * local adjc service (adjc password-sync --source pipe) and, optionally,
 * asks adjc whether JumpCloud's password policy would accept a new password.
 *
 * Rules this file keeps (README "Password sync on Windows", SECURITY.md):
 *   - never touch disk or network: one local named pipe, nothing else;
 *   - never block a password change: the notification writes into the
 *     pipe's buffer and returns; when adjc is down the change is dropped
 *     and counted, never queued;
 *   - the filter waits at most ADJC_FILTER_TIMEOUT_MS for an answer and
 *     says yes on any failure (fail-open), so adjc can never lock users out;
 *   - every buffer that held a cleartext is wiped with SecureZeroMemory
 *     before it goes out of scope.
 *
 * The pipe's server creates it with a DACL that admits only SYSTEM, and
 * LSA runs this DLL as SYSTEM, so no other account can read or feed it.
 *
 * Wire format (package pwsync): netstrings "<len>:<bytes>," for op, id,
 * account and password, then "0:,". A reply is status and message.
 */
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <ntsecapi.h>

#define ADJC_PIPE L"\\\\.\\pipe\\adjc-password-sync"
#define ADJC_FILTER_TIMEOUT_MS 200
#define ADJC_CONNECT_WAIT_MS 20
#define ADJC_MAX_FIELD 1024
/* Four fields of at most ADJC_MAX_FIELD bytes plus their length prefixes. */
#define ADJC_FRAME_MAX (4 * (ADJC_MAX_FIELD + 8) + 8)

static volatile LONG dropped; /* changes that could not be handed over */

/* decimal writes v in decimal at out (room for 10 digits) and returns the
 * digit count; no C library or USER32 formatting in a DLL inside lsass. */
static int decimal(char *out, unsigned long v)
{
	char tmp[12];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (int i = 0; i < k; i++)
		out[i] = tmp[k - 1 - i];
	return k;
}

/* put_netstring appends "<n>:<data>," to buf at *pos; FALSE if it does not fit. */
static BOOL put_netstring(char *buf, size_t cap, size_t *pos, const char *data, size_t n)
{
	char len[12];
	int k;
	if (n == 0 || n > ADJC_MAX_FIELD)
		return FALSE;
	k = decimal(len, (unsigned long)n);
	if (*pos + (size_t)k + 1 + n + 1 > cap)
		return FALSE;
	CopyMemory(buf + *pos, len, (size_t)k);
	*pos += (size_t)k;
	buf[(*pos)++] = ':';
	CopyMemory(buf + *pos, data, n);
	*pos += n;
	buf[(*pos)++] = ',';
	return TRUE;
}

/* utf8 converts a UNICODE_STRING (not NUL-terminated) to UTF-8 in out;
 * returns the byte count, 0 on failure or when it would not fit. */
static int utf8(const UNICODE_STRING *s, char *out, int cap)
{
	if (s == NULL || s->Buffer == NULL || s->Length == 0)
		return 0;
	return WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, s->Buffer, s->Length / sizeof(WCHAR), out, cap, NULL, NULL);
}

/* build_frame writes a request frame into frame; returns its length or 0. */
static size_t build_frame(char *frame, size_t cap, const char *op, const char *id,
			  PUNICODE_STRING account, PUNICODE_STRING password)
{
	char acct[ADJC_MAX_FIELD];
	char pw[ADJC_MAX_FIELD];
	size_t pos = 0;
	int na = utf8(account, acct, sizeof acct);
	int np = utf8(password, pw, sizeof pw);
	BOOL ok = np > 0 &&
		  put_netstring(frame, cap, &pos, op, lstrlenA(op)) &&
		  put_netstring(frame, cap, &pos, id, lstrlenA(id)) &&
		  (na > 0 ? put_netstring(frame, cap, &pos, acct, (size_t)na) : put_netstring(frame, cap, &pos, "-", 1)) &&
		  put_netstring(frame, cap, &pos, pw, (size_t)np) &&
		  pos + 3 <= cap;
	if (ok) {
		CopyMemory(frame + pos, "0:,", 3);
		pos += 3;
	}
	SecureZeroMemory(pw, sizeof pw);
	SecureZeroMemory(acct, sizeof acct);
	if (!ok) {
		SecureZeroMemory(frame, cap);
		return 0;
	}
	return pos;
}

/* open_pipe connects to adjc's pipe, waiting at most ADJC_CONNECT_WAIT_MS
 * when every instance is busy; INVALID_HANDLE_VALUE when adjc is down. */
static HANDLE open_pipe(DWORD flags)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		HANDLE h = CreateFileW(ADJC_PIPE, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
				       flags | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
		if (h != INVALID_HANDLE_VALUE)
			return h;
		if (GetLastError() != ERROR_PIPE_BUSY || !WaitNamedPipeW(ADJC_PIPE, ADJC_CONNECT_WAIT_MS))
			break;
	}
	return INVALID_HANDLE_VALUE;
}

BOOLEAN NTAPI InitializeChangeNotify(void)
{
	return TRUE;
}

/* PasswordChangeNotify: LSA calls it after the DC has stored a new
 * password. The frame goes into the pipe's buffer (the server creates it
 * with 4 kB in each direction, larger than any frame), so WriteFile
 * returns without waiting for adjc to read it. */
NTSTATUS NTAPI PasswordChangeNotify(PUNICODE_STRING UserName, ULONG RelativeId, PUNICODE_STRING NewPassword)
{
	char frame[ADJC_FRAME_MAX];
	char id[24];
	DWORD written = 0;
	size_t n;
	HANDLE h;

	CopyMemory(id, "rid:", 4);
	id[4 + decimal(id + 4, (unsigned long)RelativeId)] = 0;
	n = build_frame(frame, sizeof frame, "notify", id, UserName, NewPassword);
	if (n == 0) {
		InterlockedIncrement(&dropped);
		return STATUS_SUCCESS;
	}
	h = open_pipe(0);
	if (h == INVALID_HANDLE_VALUE || !WriteFile(h, frame, (DWORD)n, &written, NULL) || written != n)
		InterlockedIncrement(&dropped);
	SecureZeroMemory(frame, sizeof frame);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	return STATUS_SUCCESS; /* the change is already made; never fail it */
}

/* ask sends frame and waits for the reply until the deadline; TRUE when
 * adjc answered "refused". Any failure or timeout means "not refused". */
static BOOL refused(const char *frame, size_t n)
{
	HANDLE h = open_pipe(FILE_FLAG_OVERLAPPED);
	OVERLAPPED ov;
	char reply[64];
	DWORD got = 0, written = 0;
	BOOL no = FALSE;
	ULONGLONG deadline = GetTickCount64() + ADJC_FILTER_TIMEOUT_MS;

	if (h == INVALID_HANDLE_VALUE)
		return FALSE;
	ZeroMemory(&ov, sizeof ov);
	ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (ov.hEvent == NULL) {
		CloseHandle(h);
		return FALSE;
	}
	if (!WriteFile(h, frame, (DWORD)n, NULL, &ov) && GetLastError() != ERROR_IO_PENDING)
		goto out;
	if (WaitForSingleObject(ov.hEvent, ADJC_FILTER_TIMEOUT_MS) != WAIT_OBJECT_0 ||
	    !GetOverlappedResult(h, &ov, &written, FALSE) || written != n)
		goto out;
	ResetEvent(ov.hEvent);
	/* The reply starts "7:refused," or "2:ok," etc.; 64 bytes hold the status. */
	if (!ReadFile(h, reply, sizeof reply, NULL, &ov) && GetLastError() != ERROR_IO_PENDING)
		goto out;
	{
		ULONGLONG now = GetTickCount64();
		DWORD left = now >= deadline ? 0 : (DWORD)(deadline - now);
		if (WaitForSingleObject(ov.hEvent, left) != WAIT_OBJECT_0 || !GetOverlappedResult(h, &ov, &got, FALSE))
			goto out;
	}
	no = got >= 10 && CompareStringA(LOCALE_INVARIANT, 0, reply, 10, "7:refused,", 10) == CSTR_EQUAL;
out:
	CancelIo(h);
	/* Wait for the cancelled I/O to finish before its buffers go away. */
	GetOverlappedResult(h, &ov, &got, TRUE);
	CloseHandle(ov.hEvent);
	CloseHandle(h);
	return no;
}

/* PasswordFilter: LSA asks it before accepting a new password (a change by
 * the user, or a set by an administrator when SetOperation is TRUE). It
 * returns FALSE only when adjc answered that JumpCloud's policy refuses the
 * password, so AD refuses it too; otherwise TRUE. */
BOOLEAN NTAPI PasswordFilter(PUNICODE_STRING AccountName, PUNICODE_STRING FullName, PUNICODE_STRING Password, BOOLEAN SetOperation)
{
	char frame[ADJC_FRAME_MAX];
	size_t n;
	BOOL no;

	(void)FullName;
	(void)SetOperation;
	n = build_frame(frame, sizeof frame, "filter", "-", AccountName, Password);
	if (n == 0)
		return TRUE;
	no = refused(frame, n);
	SecureZeroMemory(frame, sizeof frame);
	return no ? FALSE : TRUE;
}

/* AdjcDroppedCount is not called by LSA: it lets the test harness (and a
 * debugger on a DC) read how many changes were dropped since load. */
LONG WINAPI AdjcDroppedCount(void)
{
	return InterlockedCompareExchange(&dropped, 0, 0);
}
