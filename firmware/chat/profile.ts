import { optionalObject, optionalString, requireString } from './fields';
import { pickFields } from './json';
import type { JsonObject } from './json';

/**
 * A user profile as contacts see it (agent.md §10.3; simplex-chat Types.hs `Profile`), sent in
 * x.info (the handshake's connection info, and profile updates) and x.contact.
 *
 * Only displayName and fullName are required. Fields the app may add later are ignored, as aeson
 * ignores unknown fields. `contactLink` is kept as the text the peer sent: SimpleGo shows it but
 * does not join it from here. `preferences` is kept as received (an object of feature settings).
 */
export interface Profile {
  readonly displayName: string;
  readonly fullName: string;
  /** Up to 160 characters by the app's convention. */
  readonly shortDescr: string | null;
  /** A data: URI with a small JPEG or PNG. */
  readonly image: string | null;
  readonly contactLink: string | null;
  readonly preferences: JsonObject | null;
}

const FIELDS = ['displayName', 'fullName', 'shortDescr', 'image', 'contactLink', 'preferences'];

export function profileFromJson(o: JsonObject): Profile {
  const f = pickFields(o, FIELDS);
  return {
    displayName: requireString(f, 'displayName', 'profile'),
    fullName: requireString(f, 'fullName', 'profile'),
    shortDescr: optionalString(f, 'shortDescr', 'profile'),
    image: optionalString(f, 'image', 'profile'),
    contactLink: optionalString(f, 'contactLink', 'profile'),
    preferences: optionalObject(f, 'preferences', 'profile'),
  };
}

/** The app's field order (the record's); absent optional fields are left out. */
export function profileToJson(p: Profile): JsonObject {
  const o: JsonObject = { displayName: p.displayName, fullName: p.fullName };
  if (p.shortDescr !== null) o.shortDescr = p.shortDescr;
  if (p.image !== null) o.image = p.image;
  if (p.contactLink !== null) o.contactLink = p.contactLink;
  if (p.preferences !== null) o.preferences = p.preferences;
  return o;
}
