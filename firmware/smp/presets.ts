import { SMP_DEFAULT_PORT, parseSmpServer, type SmpServer } from './address';

/**
 * The routers SimpleGo ships with.
 *
 * SimpleGo's own ten routers come first. Only smp.simplego.dev has a published fingerprint
 * (reference-device.md §5.2); smp1..smp9 are listed by name only and stay "awaiting
 * fingerprint" until the user provisions a full address for them. A router whose identity is
 * not pinned is never contacted: TLS to an unpinned host would trust whoever answers.
 *
 * The official SimpleX Chat and Flux routers are an optional second list. They are also the
 * table that restores short links made by the official apps, which drop host key and port for
 * their own preset routers (agent.md §4.6).
 */

export type PresetOperator = 'simplego' | 'simplex' | 'flux';

export interface PresetRouter {
  readonly operator: PresetOperator;
  /** The host the router is known by (the first host of its address when it has one). */
  readonly host: string;
  /** The full address when its fingerprint is published, else null ("awaiting fingerprint"). */
  readonly address: string | null;
  /** Whether the operator enables it by default. */
  readonly enabledByDefault: boolean;
  /** Whether the operator offers it for storing queues (false: used only as a proxy). */
  readonly storage: boolean;
}

function preset(operator: PresetOperator, host: string, address: string | null, enabledByDefault: boolean, storage: boolean): PresetRouter {
  return { operator, host, address, enabledByDefault, storage };
}

/** SimpleGo's ten routers, all on port 5223 (the default, so the addresses name no port). */
export const SIMPLEGO_PRESETS: readonly PresetRouter[] = [
  preset('simplego', 'smp.simplego.dev', 'smp://7qw4hvuS-PvTHbotgtg_xiwrhFUk_s1q2upUQrGIWow=@smp.simplego.dev', true, true),
  preset('simplego', 'smp1.simplego.dev', null, true, true),
  preset('simplego', 'smp2.simplego.dev', null, true, true),
  preset('simplego', 'smp3.simplego.dev', null, true, true),
  preset('simplego', 'smp4.simplego.dev', null, true, true),
  preset('simplego', 'smp5.simplego.dev', null, true, true),
  preset('simplego', 'smp6.simplego.dev', null, true, true),
  preset('simplego', 'smp7.simplego.dev', null, true, true),
  preset('simplego', 'smp8.simplego.dev', null, true, true),
  preset('simplego', 'smp9.simplego.dev', null, true, true),
];

// Source: simplex-chat src/Simplex/Chat/Operators/Presets.hs (enabledSimplexChatSMPServers,
// disabledSimplexChatSMPServers, fluxSMPServers_; Flux routers have storage = False).
const SX = (n: string, key: string, onion: string, enabled: boolean): PresetRouter =>
  preset('simplex', 'smp' + n + '.simplex.im', 'smp://' + key + '@smp' + n + '.simplex.im,' + onion + '.onion', enabled, true);
const FX = (n: string, key: string, onion: string): PresetRouter =>
  preset('flux', 'smp' + n + '.simplexonflux.com', 'smp://' + key + '@smp' + n + '.simplexonflux.com,' + onion + '.onion', true, false);

/** The official apps' routers, in the order the apps list them. */
export const OFFICIAL_PRESETS: readonly PresetRouter[] = [
  SX('8', '0YuTwO05YJWS8rkjn9eLJDjQhFKvIYd8d4xG8X1blIU=', 'beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid', true),
  SX('9', 'SkIkI6EPd2D63F4xFKfHk7I1UGZVNn6k1QWZ5rcyr6w=', 'jssqzccmrcws6bhmn77vgmhfjmhwlyr3u7puw4erkyoosywgl67slqqd', true),
  SX('10', '6iIcWT_dF2zN_w5xzZEY7HI2Prbh3ldP07YTyDexPjE=', 'rb2pbttocvnbrngnwziclp2f4ckjq65kebafws6g4hy22cdaiv5dwjqd', true),
  SX('11', '1OwYGt-yqOfe2IyVHhxz3ohqo3aCCMjtB-8wn4X_aoY=', '6ioorbm6i3yxmuoezrhjk6f6qgkc4syabh7m3so74xunb5nzr4pwgfqd', true),
  SX('12', 'UkMFNAXLXeAAe0beCa4w6X_zp18PwxSaSjY17BKUGXQ=', 'ie42b5weq7zdkghocs3mgxdjeuycheeqqmksntj57rmejagmg4eor5yd', true),
  SX('14', 'enEkec4hlR3UtKx2NMpOUK_K4ZuDxjWBO1d9Y4YXVaA=', 'aspkyu2sopsnizbyfabtsicikr2s4r3ti35jogbcekhm3fsoeyjvgrid', true),
  SX('15', 'h--vW7ZSkXPeOUpfxlFGgauQmXNFOzGoizak7Ult7cw=', 'oauu4bgijybyhczbnxtlggo6hiubahmeutaqineuyy23aojpih3dajad', true),
  SX('16', 'hejn2gVIqNU6xjtGM3OwQeuk8ZEbDXVJXAlnSBJBWUA=', 'p3ktngodzi6qrf7w64mmde3syuzrv57y55hxabqcq3l5p6oi7yzze6qd', true),
  SX('17', 'ZKe4uxF4Z_aLJJOEsC-Y6hSkXgQS5-oc442JQGkyP8M=', 'ogtwfxyi3h2h5weftjjpjmxclhb5ugufa5rcyrmg7j4xlch7qsr5nuqd', true),
  SX('18', 'PtsqghzQKU83kYTlQ1VKg996dW4Cw4x_bvpKmiv8uns=', 'lyqpnwbs2zqfr45jqkncwpywpbtq7jrhxnib5qddtr6npjyezuwd3nqd', true),
  SX('19', 'N_McQS3F9TGoh4ER0QstUf55kGnNSd-wXfNPZ7HukcM=', 'i53bbtoqhlc365k6kxzwdp5w3cdt433s7bwh3y32rcbml2vztiyyz5id', true),
  SX('4', 'u2dS9sG8nMNURyZwqASV4yROM28Er0luVTx5X1CsMrU=', 'o5vmywmrnaxalvz6wi3zicyftgio6psuvyniis6gco6bp6ekl4cqj4id', false),
  SX('5', 'hpq7_4gGJiilmz5Rf-CswuU5kZGkm_zOIooSw6yALRg=', 'jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid', false),
  SX('6', 'PQUV2eL0t7OStZOoAsPEV2QYWt4-xilbakvGUGOItUo=', 'bylepyau3ty4czmn77q4fglvperknl4bi2eb2fdy2bh4jxtf32kf73yd', false),
  FX('1', 'xQW_ufMkGE20UrTlBl8QqceG1tbuylXhr9VOLPyRJmw=', 'qb4yoanyl4p7o33yrknv4rs6qo7ugeb2tu2zo66sbebezs4cpyosarid'),
  FX('2', 'LDnWZVlAUInmjmdpQQoIo6FUinRXGe0q3zi5okXDE4s=', 'yiqtuh3q4x7hgovkomafsod52wvfjucdljqbbipg5sdssnklgongxbqd'),
  FX('3', '1jne379u7IDJSxAvXbWb_JgoE7iabcslX0LBF22Rej0=', 'a5lm4k7ufei66cdck6fy63r4lmkqy3dekmmb7jkfdm5ivi6kfaojshad'),
  FX('4', 'xmAmqj75I9mWrUihLUlI0ZuNLXlIwFIlHRq5Pb6cHAU=', 'qpcz2axyy66u26hfdd2e23uohcf3y6c36mn7dcuilcgnwjasnrvnxjqd'),
  FX('5', 'rWvBYyTamuRCBYb_KAn-nsejg879ndhiTg5Sq3k0xWA=', '4ao347qwiuluyd45xunmii4skjigzuuox53hpdsgbwxqafd4yrticead'),
  FX('6', 'PN7-uqLBToqlf1NxHEaiL35lV2vBpXq8Nj8BW11bU48=', 'hury6ot3ymebbr2535mlp7gcxzrjpc6oujhtfxcfh2m4fal4xw5fq6qd'),
];

/**
 * Routers that appear in short links made by the official apps but are not offered to users
 * (upstream keeps removed and test routers in `allPresetServers` so old links still resolve).
 */
const SHORT_LINK_ONLY = ['smp://8Af90NX2TTkKEJAF1RCg69P_Odg2Z-6_J6DOKUqK3rQ=@smp7.simplex.im,dbxqutskmmbkbrs7ofi7pmopeyhgi5cxbjbh4ummgmep4r6bz4cbrcid.onion'];

/**
 * The table `restoreShortLink` needs: every official router in upstream's `allPresetServers`
 * order (enabled, disabled, Flux, then the test router). SimpleGo's own routers are not in it:
 * the official apps cannot shorten links for them, so their links always carry the full address.
 */
export function shortLinkPresetServers(): SmpServer[] {
  const out: SmpServer[] = [];
  for (let i = 0; i < OFFICIAL_PRESETS.length; i++) out.push(parseSmpServer(OFFICIAL_PRESETS[i].address as string).server);
  for (let i = 0; i < SHORT_LINK_ONLY.length; i++) out.push(parseSmpServer(SHORT_LINK_ONLY[i]).server);
  return out;
}

/** Every preset's port: the SMP default, written out once for the UI. */
export const PRESET_PORT = SMP_DEFAULT_PORT;
