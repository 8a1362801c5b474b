import assert from 'node:assert/strict';
import { CHAT_PAGE, CHAT_WINDOW, ChatScreen, deliveryText, MAX_BUBBLE_LINES } from '../../../firmware/ui/chat-screen';
import { ContactInfoScreen } from '../../../firmware/ui/contact-info-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { Harness } from './harness';

/** Unlocked, in the chat with a new contact that has `messages` messages. */
function inChat(messages: number, state: 'ready' | 'connecting' = 'ready'): { h: Harness; id: string; chat: ChatScreen } {
  const h = new Harness();
  const c = h.model.addContact('Alice', state, messages);
  h.startUnlocked();
  h.key('Down');
  h.key('Enter');
  return { h, id: c.id, chat: h.top(ChatScreen) };
}

describe('firmware/ui/chat-screen', () => {
  it('opens on the newest messages with their delivery state, and marks the chat read', () => {
    const h = new Harness();
    const c = h.model.addContact('Alice', 'ready', 3);
    h.startUnlocked();
    h.model.receive(c.id, 'are you there?');
    assert.equal(h.model.unreadTotal(), 1);
    h.key('Down');
    h.display.clear();
    h.key('Enter');
    const chat = h.top(ChatScreen);
    assert.equal(chat.title(), 'Alice');
    assert.ok(h.display.drew('are you there?'));
    assert.ok(h.display.drew('message 3'));
    assert.ok(h.display.drew('delivered'));
    assert.equal(h.model.unreadTotal(), 0);
  });

  it('sends what was typed, clears the field, and follows the message from sending to delivered', () => {
    const { h, id, chat } = inChat(2);
    h.type('hello there');
    h.display.clear();
    h.key('Enter');
    assert.deepEqual(h.model.calls.filter((c) => c.startsWith('send')), ['send ' + id + ' hello there']);
    assert.equal(chat.input.value, '');
    assert.ok(h.display.drew('hello there'));
    assert.ok(h.display.drew('sending...'));
    const seq = chat.messages[chat.messages.length - 1].seq;
    h.display.clear();
    h.model.setDelivery(id, seq, 'delivered');
    h.frame();
    assert.ok(h.display.drew('delivered'));
    assert.equal(chat.messages[chat.messages.length - 1].delivery, 'delivered');
  });

  it('resends a failed message with one key, and says why it failed when selected', () => {
    const { h, id, chat } = inChat(2);
    h.type('important');
    h.key('Enter');
    const seq = chat.messages[chat.messages.length - 1].seq;
    h.display.clear();
    h.model.setDelivery(id, seq, 'failed', 'SmpCommandError', 'quota');
    h.frame();
    assert.ok(h.display.drew('not sent - Enter: resend'));
    h.key('Enter');
    assert.ok(h.model.calls.includes('resend ' + id + ' ' + seq));
    h.model.setDelivery(id, seq, 'failed', 'SmpCommandError', 'quota');
    h.frame();
    assert.equal(deliveryText(chat.messages[chat.messages.length - 1], true), 'not sent: The contact has too many undelivered messages. They may be offline; it will be retried. - Enter: resend');
    h.key('Up'); // select an older, delivered message: Enter resends nothing
    assert.equal(chat.resendTarget(), null);
    h.key('Down'); // select the failed one
    assert.equal(chat.resendTarget()!.seq, seq);
    h.display.clear();
    h.frame();
    h.key('Enter');
    assert.equal(h.model.calls.filter((c) => c.startsWith('resend')).length, 2);
  });

  it('scrolls back through a long history holding at most a window of it, and returns to the newest', () => {
    const { h, chat } = inChat(100);
    assert.equal(chat.messages.length, CHAT_PAGE);
    assert.equal(chat.selected, -1);
    for (let i = 0; i < 80; i++) {
      h.key('Up');
      assert.ok(chat.messages.length <= CHAT_WINDOW, 'window ' + chat.messages.length);
    }
    assert.equal(chat.messages[chat.selected].text, 'message 20');
    h.display.clear();
    h.frame();
    for (let i = 0; i < 100; i++) h.input.move(0, -1);
    h.frame();
    assert.equal(chat.messages[chat.selected].text, 'message 1', 'stops at the first message');
    for (let i = 0; i < 99; i++) h.key('Down');
    assert.equal(chat.messages[chat.selected].text, 'message 100');
    h.key('Down');
    assert.equal(chat.selected, -1, 'following the newest again');
    h.model.receive(chat.contactId, 'fresh');
    h.frame();
    assert.equal(chat.messages[chat.messages.length - 1].text, 'fresh');
    assert.ok(chat.messages.length <= CHAT_WINDOW);
  });

  it('keeps a received message out of the window while scrolled back, and shows it on return', () => {
    const { h, chat } = inChat(100);
    for (let i = 0; i < 40; i++) h.key('Up');
    assert.equal(chat.messages[chat.messages.length - 1].text, 'message 88', 'the newest were dropped from the window');
    h.model.receive(chat.contactId, 'while away');
    h.frame();
    assert.ok(!chat.messages.some((m) => m.text === 'while away'));
    for (let i = 0; i < 41; i++) h.key('Down');
    assert.equal(chat.messages[chat.messages.length - 1].text, 'while away');
    assert.equal(h.model.unreadTotal(), 0, 'read: the chat is open');
  });

  it('explains why a message to a contact that is not connected cannot be sent', () => {
    const { h, chat } = inChat(0, 'connecting');
    assert.ok(h.display.drew('Waiting for the contact to connect.'));
    assert.equal(chat.input.placeholder, 'Not connected yet');
    h.type('hi');
    h.key('Enter');
    const box = h.ui.box();
    assert.ok(box !== null);
    assert.equal(box.title, 'Not sent');
    assert.match(box.text, /not ready yet/);
    assert.equal(chat.input.value, 'hi', 'the text is kept to try again');
    assert.deepEqual(h.notifier.alerts, ['error']);
  });

  it('repaints only the field while typing', () => {
    const { h } = inChat(5);
    h.display.clear();
    h.type('x');
    const fills = h.display.ops.filter((o) => o.op === 'fillRect');
    assert.ok(fills.every((o) => o.h <= 25), 'only the field: ' + fills.map((o) => o.h).join(','));
    assert.deepEqual(h.display.texts(), ['x']);
  });

  it('cuts a huge message to a bounded bubble inside the screen', () => {
    const h = new Harness();
    const c = h.model.addContact('Alice', 'ready', 0);
    h.model.addMessage(c, false, 'word '.repeat(3000), 'received');
    h.startUnlocked();
    h.key('Down');
    h.display.clear();
    h.key('Enter');
    const lines = h.display.ops.filter((o) => o.op === 'drawString' && o.text.startsWith('word'));
    assert.ok(lines.length > 5 && lines.length <= MAX_BUBBLE_LINES);
    for (const o of h.display.ops.filter((x) => x.op === 'drawString')) {
      assert.ok(o.x >= 0 && o.x + o.w <= 320, 'inside the screen: ' + o.text);
    }
    for (const o of lines) assert.ok(o.y >= 29, 'not over the title bar');
  });

  it('goes back with Escape (dropping the messages it held) and to the details with Tab', () => {
    const { h, chat } = inChat(3);
    h.key('Tab');
    h.top(ContactInfoScreen);
    h.key('Escape');
    assert.equal(h.top(ChatScreen), chat);
    h.key('Escape');
    h.top(ContactsScreen);
    assert.equal(chat.messages.length, 0);
  });

  it('leaves for the contact list when the contact is deleted meanwhile', () => {
    const { h, chat } = inChat(3);
    h.model.contacts = [];
    h.model.emit('contacts');
    h.frame();
    h.top(ContactsScreen);
    assert.equal(chat.messages.length, 0);
  });
});
