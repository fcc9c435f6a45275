# Words for finding the way back in, and a sign-up without a bank account.

forgot-link = Forgot password / PIN?
forgot-heading = Forgot your password or PIN?
forgot-password-heading = A forgotten password
forgot-password-agent = At any Quipu agent: show who you are and type your payment PIN on the agent's device. The agent gives you a one-time code, valid for 30 minutes.
forgot-password-operator = No PIN either? Ask the operator's support: one operator asks for a reset, a second approves it and gives you the code. You will read in your access log who did it and why.
forgot-password-code = With the code, set a new password here:
forgot-pin-heading = A locked or forgotten PIN
forgot-pin-locked = After too many wrong PINs the PIN locks; it opens again by itself after a while, or the operator's support can unlock it sooner.
forgot-pin-forgotten = A forgotten PIN cannot be changed without the old one: visit the operator's support with your ID. Once signed in, Settings changes a PIN you still know.
reset-heading = Set a new password
reset-intro = Type your phone number, the one-time code an agent or the operator gave you, and a new password. Every session you had ends.
field-reset-code = One-time code
reset-button = Set the new password
done-reset = Your new password is set. Sign in with it.
billing-optional-note = You can leave this empty: top up in cash at any agent, and add a bank account later.
