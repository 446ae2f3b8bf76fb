"""Petitions (collective compensation claims) and compensation.

- models.py: Petition (moderation states and allowed transitions), PetitionThreshold, PetitionTally (written
  only by the counter), Signature (unique per petition and canonical e-mail; one verified claim per petition and
  business), SignatureInvalidation (audit of bulk invalidations), CompensationRule, CompensationDecision.
- services.py: petition_create/transition/answer, petition_sign (insert or ignore through the constraints),
  signature_confirm/withdraw/expire, signatures_invalidate, petitions_anonymise.
- counting.py: the batched counter under a lock, threshold crossing, nightly reconciliation.
- compensation.py: the pure rules engine and its presets; decisions.py: proposals, maker/checker, billing export.
- emails.py: confirmation, milestone and answer e-mails to signers (not Contacts, so not the notification engine);
  kinds.py: the compensation offer, sent to the business's contacts through the notification engine.
"""
