// nestjs-cashlink/testing: the local Cashlink emulator and helpers for users' tests.
export {};
