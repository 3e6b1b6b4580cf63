/* status.c - reason phrases and what each status code tells a
 * troubleshooter (RFC 3261 §21 and the extensions that add codes). */
#include "sip_int.h"

struct status {
	unsigned short code;
	const char *reason;
	const char *meaning;
};

static const struct status statuses[] = {
	{100, "Trying", "the next hop received the request and is working on it"},
	{180, "Ringing", "the callee's phone is alerting"},
	{181, "Call Is Being Forwarded", "the call is being forwarded to another destination"},
	{182, "Queued", "the callee is busy and the call is queued"},
	{183, "Session Progress", "call progress, often with early media"},
	{199, "Early Dialog Terminated", "an early dialog ended before the final response"},
	{200, "OK", "the request succeeded"},
	{202, "Accepted", "the request was accepted for processing (REFER, SUBSCRIBE)"},
	{204, "No Notification", "the subscription succeeded; no NOTIFY will follow"},
	{300, "Multiple Choices", "the target has several addresses; pick one from Contact"},
	{301, "Moved Permanently", "the target moved for good; use the Contact"},
	{302, "Moved Temporarily", "the target is elsewhere for now; retry at the Contact"},
	{305, "Use Proxy", "the request must go through the proxy in Contact"},
	{380, "Alternative Service", "the call failed, but alternatives are described"},
	{400, "Bad Request", "the server could not parse the request"},
	{401, "Unauthorized", "the registrar or UAS wants credentials (WWW-Authenticate)"},
	{402, "Payment Required", "reserved"},
	{403, "Forbidden", "the server refuses: wrong credentials or not allowed"},
	{404, "Not Found", "the user does not exist in the domain"},
	{405, "Method Not Allowed", "the method is not allowed here; see Allow"},
	{406, "Not Acceptable", "no acceptable content can be produced"},
	{407, "Proxy Authentication Required", "the proxy wants credentials (Proxy-Authenticate)"},
	{408, "Request Timeout", "the server gave up waiting, often for the callee"},
	{409, "Conflict", "the request conflicts with the resource's state"},
	{410, "Gone", "the user existed but is no longer available here"},
	{412, "Conditional Request Failed", "the SIP-If-Match entity tag no longer matches"},
	{413, "Request Entity Too Large", "the request body is too large"},
	{414, "Request-URI Too Long", "the Request-URI is too long"},
	{415, "Unsupported Media Type", "the body's type or encoding is not supported"},
	{416, "Unsupported URI Scheme", "the Request-URI scheme is not supported"},
	{417, "Unknown Resource-Priority", "the Resource-Priority value is not understood"},
	{420, "Bad Extension", "an option tag in Require or Proxy-Require is not supported"},
	{421, "Extension Required", "the server needs an extension the request did not list"},
	{422, "Session Interval Too Small", "Session-Expires is below the server's Min-SE"},
	{423, "Interval Too Brief", "the registration expiry is below Min-Expires"},
	{424, "Bad Location Information", "the location information is malformed"},
	{428, "Use Identity Header", "the server requires an Identity header"},
	{429, "Provide Referrer Identity", "the REFER needs a Referred-By token"},
	{430, "Flow Failed", "the outbound flow to the user agent failed"},
	{433, "Anonymity Disallowed", "the server rejects anonymous requests"},
	{436, "Bad Identity-Info", "the Identity-Info URI cannot be dereferenced"},
	{437, "Unsupported Certificate", "the identity certificate cannot be validated"},
	{438, "Invalid Identity Header", "the Identity signature does not verify"},
	{439, "First Hop Lacks Outbound Support", "the edge proxy does not support outbound"},
	{440, "Max-Breadth Exceeded", "the forking limit was exceeded"},
	{469, "Bad Info Package", "the INFO package is not supported"},
	{470, "Consent Needed", "the recipient has not consented to this request"},
	{480, "Temporarily Unavailable", "the callee is not reachable now (not registered, DND)"},
	{481, "Call/Transaction Does Not Exist", "no dialog or transaction matches the request"},
	{482, "Loop Detected", "the request looped back to the server"},
	{483, "Too Many Hops", "Max-Forwards reached zero"},
	{484, "Address Incomplete", "the Request-URI is incomplete (overlap dialling)"},
	{485, "Ambiguous", "the Request-URI matches several users"},
	{486, "Busy Here", "the callee is busy"},
	{487, "Request Terminated", "the request was cancelled (CANCEL or BYE)"},
	{488, "Not Acceptable Here", "the session description is not acceptable (codecs, media)"},
	{489, "Bad Event", "the event package is not supported"},
	{491, "Request Pending", "another transaction on the dialog is in progress (glare)"},
	{493, "Undecipherable", "the S/MIME body cannot be decrypted"},
	{494, "Security Agreement Required", "a security mechanism must be negotiated"},
	{500, "Server Internal Error", "the server hit an unexpected condition"},
	{501, "Not Implemented", "the server does not implement the method"},
	{502, "Bad Gateway", "a downstream server sent an invalid response"},
	{503, "Service Unavailable", "the server is overloaded or in maintenance; see Retry-After"},
	{504, "Server Time-out", "a downstream server did not answer in time"},
	{505, "Version Not Supported", "the SIP version is not supported"},
	{513, "Message Too Large", "the message is too large for the server"},
	{555, "Push Notification Service Not Supported", "the push service is not supported"},
	{580, "Precondition Failure", "the session preconditions cannot be met"},
	{600, "Busy Everywhere", "the callee is busy at every location"},
	{603, "Decline", "the callee declined the call"},
	{604, "Does Not Exist Anywhere", "the user does not exist anywhere"},
	{606, "Not Acceptable", "the callee's agent cannot accept the session"},
	{607, "Unwanted", "the callee marked the call as unwanted"},
	{608, "Rejected", "an intermediary rejected the call"},
};

static const struct status *find(unsigned code)
{
	size_t lo = 0, hi = sizeof statuses / sizeof statuses[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (statuses[mid].code == code)
			return &statuses[mid];
		if (statuses[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *sip_status_reason(unsigned code)
{
	const struct status *s = find(code);
	return s ? s->reason : NULL;
}

const char *sip_status_meaning(unsigned code)
{
	static const char *const by_class[] = {
		NULL,
		"provisional: the request is in progress",
		"success",
		"redirection: the target is elsewhere",
		"client error: the request cannot be fulfilled here",
		"server error: the server failed on a valid request",
		"global failure: the request fails everywhere",
	};
	const struct status *s = find(code);
	if (s)
		return s->meaning;
	return (code >= 100 && code <= 699) ? by_class[code / 100] : NULL;
}
