/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VPMEM_EVENTS_H
#define VPMEM_EVENTS_H

/*
 * The journal's MESSAGE_ID of each kind of event vpmem logs: a refusal, a
 * failure, a step done, a device's health, an erase. Fixed forever (a
 * fleet's searches and alerts name them): "journalctl MESSAGE_ID=..." finds
 * every one of a kind; the entries carry VPMEM_* fields besides (vpmem-agent(8)
 * and vpmem-host(8), EVENTS; catalog/vpmem-agent.catalog and vpmem-host.catalog explain each for
 * "journalctl -x").
 */

/* vpmem-agent: a step of apply refused, by reason (VPMEM_REASON), with VPMEM_REGION, VPMEM_DEVICE */
#define EVENT_REFUSED_DATA "b51d1969653248f79b75d8261223a3ea"
#define EVENT_REFUSED_CONFLICT "b0da6190165d4411905fa2eb8ec0a4f4"
#define EVENT_REFUSED_MOUNTPOINT "8c9d593935de486f942df8d28575038f"
#define EVENT_REFUSED_CAPACITY "a1ea263dfcbe4ce4ae05c1d9da12434c"
#define EVENT_REFUSED_DEVICE "efb3bda1bdd54ca296608217d3c66e5b"
/* a step of apply failed; mounted without DAX; the policy is invalid */
#define EVENT_APPLY_ERROR "dcdd0f355cdf4ea289c5f51ad74afd0a"
#define EVENT_DAX_OFF "ef05d958fe6a434fa5ab053ec771ffdf"
#define EVENT_POLICY_INVALID "afde8cc61fea42b0ab451fb74169f856"
/* a step of apply done: a namespace, labels, a filesystem made, a mount */
#define EVENT_PROVISIONED "f1bdd3c55ecf49afadc99c3f8a4729b8"
/* a DIMM reports a health problem (VPMEM_DIMM, VPMEM_HEALTH); its unclean shutdown count rose */
#define EVENT_DIMM_HEALTH "f5a6cef440774e20a4fe7d437d917a76"
#define EVENT_UNCLEAN_SHUTDOWN "45680e8707364df9a158a47dc84050bc"

/* vpmem-host: a backing erased, or not (quarantined); one in use not erased; a round of sync failed */
#define EVENT_ERASED "49fc82a1cef547b4a38a99fe10fe14dd"
#define EVENT_ERASE_FAILED "243d362abd964e8087ac408f434368ed"
#define EVENT_BACKING_IN_USE "dce2abb1b869476689bd5aa048afbc46"
#define EVENT_SYNC_FAILED "2475309113154007b4c30fa35727f67d"

#endif
