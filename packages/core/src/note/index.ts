/**
 * C2SP signed notes and transparency-log checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint),
 * Ed25519 only, interoperable with golang.org/x/mod/sumdb/note, Sunlight and Tessera.
 */
export { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint, type CheckpointInput, type OpenedCheckpoint } from './checkpoint.js';
export { MAX_NOTE_BYTES, MAX_SIGNATURES } from './note-syntax.js';
export { openNote, signNote, type NoteSignature, type OpenedNote } from './signed-note.js';
export { encodeVerifierKey, noteKeyId, parseVerifierKey, type NoteSigner, type VerifierKey } from './verifier-key.js';
