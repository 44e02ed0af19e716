import type {
  EmulatorCampaign,
  EmulatorDocument,
  EmulatorIdentification,
  EmulatorInvestment,
  EmulatorInvestor,
  EmulatorProduct,
  EmulatorSeed,
  EmulatorWallet,
} from './emulator.types';

/**
 * Objects in creation order with lookup by id. Nothing is ever deleted (only cleared), so the array
 * index is the creation rank and a page is an O(page) slice.
 */
export class OrderedCollection<T extends { id: string }> {
  private readonly byId = new Map<string, T>();
  private readonly ordered: T[] = [];

  add(item: T): T {
    this.byId.set(item.id, item);
    this.ordered.push(item);
    return item;
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.ordered.length;
  }

  slice(offset: number, limit: number): T[] {
    return this.ordered.slice(offset, offset + limit);
  }

  all(): readonly T[] {
    return this.ordered;
  }

  clear(): void {
    this.byId.clear();
    this.ordered.length = 0;
  }
}

/** Facts about an investor that the API does not show but preconditions need. */
export interface InvestorFacts {
  isBeneficiary: boolean;
  identified: boolean;
  managedWalletId?: string;
}

/** The emulator's whole in-memory state. */
export class EmulatorStateStore {
  readonly products = new OrderedCollection<EmulatorProduct>();
  readonly campaigns = new OrderedCollection<EmulatorCampaign>();
  readonly investors = new OrderedCollection<EmulatorInvestor>();
  readonly identifications = new OrderedCollection<EmulatorIdentification>();
  readonly wallets = new OrderedCollection<EmulatorWallet>();
  readonly documents = new OrderedCollection<EmulatorDocument>();
  readonly investments = new OrderedCollection<EmulatorInvestment>();
  readonly investorFacts = new Map<string, InvestorFacts>();
  /** Units taken per campaign by investments that are not canceled. */
  readonly allocatedUnits = new Map<string, number>();

  constructor(private readonly seed: EmulatorSeed) {
    this.applySeed();
  }

  /** Forgets every object and restores the seed. */
  reset(): void {
    for (const collection of [
      this.products,
      this.campaigns,
      this.investors,
      this.identifications,
      this.wallets,
      this.documents,
      this.investments,
    ]) {
      collection.clear();
    }
    this.investorFacts.clear();
    this.allocatedUnits.clear();
    this.applySeed();
  }

  private applySeed(): void {
    for (const product of this.seed.products) this.products.add(structuredClone(product));
    for (const campaign of this.seed.campaigns) this.campaigns.add(structuredClone(campaign));
  }
}
