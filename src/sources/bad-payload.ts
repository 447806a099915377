/** A request (or a report) the vendor's own document says it never sends: logged, nothing booked. */
export class BadPayload extends Error {}
