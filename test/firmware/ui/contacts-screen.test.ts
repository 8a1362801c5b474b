import assert from 'node:assert/strict';
import type { ContactSummary } from '../../../firmware/app/model';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactInfoScreen } from '../../../firmware/ui/contact-info-screen';
import { contactPreview, ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { NewContactScreen } from '../../../firmware/ui/new-contact-screen';
import { SettingsScreen } from '../../../firmware/ui/settings-screen';
import { ERROR, SELECTED_BG, WARN } from '../../../firmware/ui/theme';
import { Harness } from './harness';

function summary(over: Partial<ContactSummary>): ContactSummary {
  return { id: 'x', name: 'X', state: 'ready', unread: 0, lastText: 'hi', lastTime: 1, lastDelivery: 'received', verified: false, muted: false, ...over };
}

describe('firmware/ui/contacts-screen', () => {
  it('says under each name where the contact stands and what happened to the last message', () => {
    assert.deepEqual(contactPreview(summary({ state: 'invited' })), { text: 'Invitation not used yet', color: WARN });
    assert.equal(contactPreview(summary({ state: 'connecting' })).text, 'Connecting...');
    assert.equal(contactPreview(summary({ state: 'deleting' })).text, 'Deleting...');
    assert.deepEqual(contactPreview(summary({ state: 'failed' })), { text: 'Connection failed', color: ERROR });
    assert.equal(contactPreview(summary({ lastText: '' })).text, 'No messages yet');
    assert.equal(contactPreview(summary({ lastDelivery: 'sending' })).text, 'You: hi (sending)');
    assert.equal(contactPreview(summary({ lastDelivery: 'sent' })).text, 'You: hi (sent)');
    assert.equal(contactPreview(summary({ lastDelivery: 'delivered' })).text, 'You: hi (delivered)');
    assert.deepEqual(contactPreview(summary({ lastDelivery: 'failed' })), { text: 'Not sent: hi', color: ERROR });
    assert.equal(contactPreview(summary({})).text, 'hi');
  });

  it('lists "New contact" and the contacts, most recent first, with unread counts and times', () => {
    const h = new Harness();
    const alice = h.model.addContact('Alice', 'ready', 2);
    h.model.addContact('Bob', 'connecting');
    h.startUnlocked();
    h.model.receive(alice.id, 'see you at 8');
    h.display.clear();
    h.frame();
    const s = h.top(ContactsScreen);
    assert.equal(s.list.count, 3);
    const texts = h.display.texts();
    assert.ok(texts.includes('+ New contact'));
    assert.ok(texts.indexOf('Alice') < texts.indexOf('Bob'), texts.join('|'));
    assert.ok(texts.includes('see you at 8'));
    assert.ok(texts.includes('Connecting...'));
    assert.ok(texts.includes('1'), 'unread badge');
    assert.ok(texts.includes('10:03'), 'time of the last message in local time (UTC+2)');
  });

  it('opens chats, details, new contact and settings', () => {
    const h = new Harness();
    const alice = h.model.addContact('Alice', 'ready', 1);
    h.startUnlocked();
    h.key('Enter');
    h.top(NewContactScreen);
    h.key('Escape');
    h.key('Down');
    h.key('Enter');
    assert.equal(h.top(ChatScreen).contactId, alice.id);
    h.key('Escape');
    h.key('i');
    assert.equal(h.top(ContactInfoScreen).contactId, alice.id);
    h.key('Escape');
    h.input.move(1, 0);
    h.frame();
    h.top(ContactInfoScreen);
    h.key('Escape');
    h.key('n');
    h.top(NewContactScreen);
    h.key('Escape');
    h.key('s');
    h.top(SettingsScreen);
    h.key('Escape');
    h.key('Up');
    h.key('i'); // no details for the "New contact" row
    h.top(ContactsScreen);
  });

  it('keeps the selection on the same contact when the list reorders', () => {
    const h = new Harness();
    const a = h.model.addContact('Alice', 'ready', 1);
    const b = h.model.addContact('Bob', 'ready', 2);
    h.model.addContact('Carol', 'ready', 3);
    h.startUnlocked();
    const s = h.top(ContactsScreen);
    // Order: Carol, Bob, Alice (newest message first). Select Bob.
    h.key('Down');
    h.key('Down');
    assert.equal(s.contactAt(s.list.selected)!.id, b.id);
    h.model.receive(a.id, 'new!');
    h.frame();
    assert.equal(s.contactAt(s.list.selected)!.id, b.id);
    assert.equal(s.contactAt(1)!.id, a.id);
    h.key('Enter');
    assert.equal(h.top(ChatScreen).contactId, b.id);
  });

  it('comes back from showing an invitation with the new contact selected, so Enter opens its chat', async () => {
    // The reported case: the list was empty (only "New contact") when the invitation was made.
    const h = new Harness();
    h.startUnlocked();
    h.key('Enter');
    h.top(NewContactScreen);
    h.key('Enter');
    await h.settle();
    assert.equal(h.top(NewContactScreen).mode, 'qr');
    const invited = h.model.contactsPage(0, 1)[0];
    assert.equal(invited.state, 'invited');
    h.key('Escape');
    const s = h.top(ContactsScreen);
    h.frame();
    assert.equal(s.contactAt(s.list.selected)?.id, invited.id, 'the invited contact is selected');
    h.key('Enter');
    assert.equal(h.top(ChatScreen).contactId, invited.id);
  });

  it('selects the new contact among others too, and keeps "New contact" when none was made', async () => {
    const h = new Harness();
    h.model.addContact('Alice', 'ready', 2);
    h.model.addContact('Bob', 'ready', 3);
    h.startUnlocked();
    const s = h.top(ContactsScreen);
    // Left from the menu without making an invitation: nothing new to select.
    h.key('n');
    h.key('Escape');
    assert.equal(s.list.selected, 0);
    // Shown as text rather than QR, then left: the new contact is selected all the same.
    h.key('n');
    h.key('Enter');
    await h.settle();
    const made = h.top(NewContactScreen);
    assert.ok(made.invitation !== null);
    const id = made.invitation.contactId;
    h.key('Enter');
    assert.equal(made.mode, 'text');
    h.key('Escape');
    assert.equal(h.top(ContactsScreen), s);
    assert.equal(s.contactAt(s.list.selected)?.id, id, 'the invited contact is selected');
    // Only the screen that made it decides: a later visit that makes nothing changes nothing.
    for (let i = 0; i < 3; i++) h.key('Up');
    assert.equal(s.list.selected, 0);
    h.key('Enter');
    h.top(NewContactScreen);
    h.key('Escape');
    assert.equal(s.list.selected, 0);
  });

  it('reads only a screenful of contacts from the model, however long the list', () => {
    const h = new Harness();
    for (let i = 0; i < 120; i++) h.model.addContact('Contact ' + i, 'ready', 1);
    const asked: number[] = [];
    const page = h.model.contactsPage.bind(h.model);
    h.model.contactsPage = (start: number, count: number) => {
      asked.push(count);
      return page(start, count);
    };
    h.startUnlocked();
    for (let i = 0; i < 40; i++) h.key('Down');
    assert.ok(asked.length > 0);
    assert.ok(Math.max(...asked) <= 8, 'asked for ' + Math.max(...asked));
    assert.equal(h.top(ContactsScreen).list.selected, 40);
  });

  it('repaints just two rows when the selection moves', () => {
    const h = new Harness();
    for (let i = 0; i < 4; i++) h.model.addContact('C' + i, 'ready', 1);
    h.startUnlocked();
    h.display.clear();
    h.key('Down');
    const rows = h.display.ops.filter((o) => o.op === 'fillRect' && o.w === 320 && o.h === 31);
    assert.equal(rows.length, 2);
    assert.equal(rows.filter((o) => o.color === SELECTED_BG).length, 1);
    assert.ok(!h.display.ops.some((o) => o.op === 'fillRect' && o.h > 100), 'no full clear');
    assert.equal(h.display.ops.filter((o) => o.op === 'flip').length, 1);
  });
});
