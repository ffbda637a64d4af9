"""Word lists the synthetic conversations draw from: people, places, jobs, tastes, events."""

from __future__ import annotations

FIRST_NAMES = """
Julia Tom Priya Marcus Aisha Ben Chloe Daniel Elena Farid Grace Hugo Ines Jack Kemi Liam Maya Noah Olivia Pavel
Quinn Rosa Sam Tara Umar Vera Will Yara Zoe Adam Bella Carlos Dana Ethan Fiona George Hana Isaac Jasmine Kai Lena
Mateo Nadia Oscar Petra Ravi Sofia Theo Ursula Victor Wendy Xavier Yusuf Zara Amir Bianca Callum Dev Emma Finn Gemma
Harry Isla Jonas Keira Leo Mia Nico Orla Patrick Rhea Sean Tess Ulla Vikram Wanda Aaron Beth Ciaran Delia Eli Freya
Gabriel Holly Ivan Jade Kofi Lola Miguel Nina Omar Pia Rafael Sara Tobias Uma Valentina Wes Ximena Yasmin Zack Alba
Boris Cora Dmitri Esme Felix Gina Hamza Ida Joel Kira Luca Mila Nils Oona Pedro Rina Stefan Tilly Ugo Vicky Wren
""".split()

PET_NAMES = """
Biscuit Pepper Luna Milo Bella Ziggy Mochi Pickle Noodle Olive Rocket Sushi Tofu Waffles Bruno Coco Daisy Ember
Fudge Ginger Hazel Indy Jasper Kiwi Loki Maple Nacho Oreo Pumpkin Rolo Saffron Teddy Usha Velvet Willow Yoshi Zeus
Bramble Cinnamon Dumpling Fig Gizmo Honey Juniper Kipper Lentil Marmite Nutmeg Pip Quincy Rusty Sprout Truffle
""".split()

# (species, breeds) for pets.
PET_KINDS: list[tuple[str, list[str]]] = [
    ("dog", ["border collie", "labrador", "dachshund", "greyhound", "beagle", "cockapoo", "whippet", "spaniel"]),
    ("cat", ["tabby", "Maine Coon", "Siamese", "ginger tom", "black cat", "Bengal", "ragdoll"]),
    ("rabbit", ["lop-eared rabbit", "Dutch rabbit", "lionhead"]),
    ("parrot", ["African grey", "cockatiel", "budgie"]),
    ("tortoise", ["Hermann's tortoise", "Russian tortoise"]),
    ("hamster", ["Syrian hamster", "dwarf hamster"]),
]

CITIES = """
Bristol Leeds Manchester Glasgow Edinburgh Cardiff Belfast Dublin Cork Galway Brighton Norwich York Bath Oxford
Cambridge Liverpool Sheffield Nottingham Leicester Newcastle Aberdeen Dundee Exeter Plymouth Swansea Lisbon Porto
Madrid Valencia Seville Barcelona Lyon Marseille Bordeaux Berlin Hamburg Munich Cologne Vienna Zurich Geneva
Amsterdam Rotterdam Utrecht Antwerp Ghent Copenhagen Stockholm Oslo Helsinki Krakow Prague Budapest Vilnius Toronto
Montreal Vancouver Melbourne Sydney Auckland Boston Chicago Denver Seattle Austin Portland
""".split()

# (job title, where the job is done).
JOBS: list[tuple[str, str]] = [
    ("paediatric nurse", "the children's hospital"),
    ("primary school teacher", "the school on Mill Lane"),
    ("software developer", "a fintech startup"),
    ("electrician", "a small building firm"),
    ("accountant", "a firm in the city centre"),
    ("pharmacist", "the chemist on the high street"),
    ("head baker", "the bakery on Elm Street"),
    ("bus driver", "the city bus company"),
    ("graphic designer", "a branding agency"),
    ("vet", "the animal clinic by the park"),
    ("dental hygienist", "a dental practice"),
    ("plumber", "my own little business"),
    ("sous chef", "an Italian restaurant downtown"),
    ("librarian", "the central library"),
    ("physiotherapist", "a sports injury clinic"),
    ("estate agent", "an agency near the station"),
    ("solicitor", "a family law practice"),
    ("firefighter", "the station on Queen Street"),
    ("journalist", "the local paper"),
    ("architect", "a small design studio"),
    ("data analyst", "an insurance company"),
    ("hairdresser", "a salon in the old town"),
    ("police officer", "the county police"),
    ("social worker", "the council"),
    ("carpenter", "a furniture workshop"),
    ("marketing manager", "a sportswear brand"),
    ("airline pilot", "a budget airline"),
    ("car mechanic", "a garage on the ring road"),
    ("paramedic", "the ambulance service"),
    ("barista", "an independent coffee shop"),
    ("postal worker", "the sorting office"),
    ("dairy farmer", "the family farm"),
    ("tour guide", "a walking tour company"),
    ("translator", "a translation agency"),
    ("personal trainer", "a gym in town"),
    ("sound engineer", "a recording studio"),
    ("florist", "a flower shop by the market"),
    ("care worker", "a care home"),
    ("warehouse supervisor", "a distribution centre"),
    ("civil engineer", "a construction company"),
    ("lab technician", "the university lab"),
    ("midwife", "the maternity unit"),
    ("optician", "an opticians on the high street"),
    ("zookeeper", "the city zoo"),
]

HOBBIES: list[tuple[str, str]] = [
    # (hobby noun phrase, a sentence fragment describing doing it)
    ("pottery", "throwing pots at the pottery studio"),
    ("rock climbing", "bouldering at the climbing wall"),
    ("running", "training for a half marathon"),
    ("knitting", "knitting a jumper"),
    ("chess", "playing chess at the club"),
    ("birdwatching", "out with my binoculars spotting birds"),
    ("sourdough baking", "feeding my sourdough starter"),
    ("salsa dancing", "at salsa class"),
    ("gardening", "planting out the tomatoes on the allotment"),
    ("photography", "out shooting street photos with my old camera"),
    ("wild swimming", "swimming in the lake at dawn"),
    ("painting", "doing watercolours of the harbour"),
    ("cycling", "out on a long ride on the road bike"),
    ("playing the guitar", "practising chords on my guitar"),
    ("choir singing", "at choir rehearsal"),
    ("woodworking", "building a bookshelf in the shed"),
    ("yoga", "at my morning yoga class"),
    ("board games", "playing board games with friends"),
    ("fishing", "fishing down at the river"),
    ("amateur astronomy", "looking at Saturn through my telescope"),
    ("surfing", "catching waves at the beach"),
    ("calligraphy", "practising calligraphy"),
    ("volunteering at the food bank", "sorting donations at the food bank"),
    ("model railways", "building the model railway in the loft"),
]

ALLERGIES = ["peanuts", "shellfish", "penicillin", "cats", "pollen", "gluten", "eggs", "bee stings", "sesame", "latex"]

CONDITIONS: list[tuple[str, str]] = [
    # (condition, medication or management)
    ("asthma", "a blue inhaler"),
    ("type 2 diabetes", "metformin"),
    ("migraines", "sumatriptan"),
    ("high blood pressure", "amlodipine"),
    ("an underactive thyroid", "levothyroxine"),
    ("eczema", "a steroid cream"),
    ("a dodgy knee", "physio exercises"),
    ("insomnia", "melatonin"),
    ("IBS", "peppermint capsules"),
    ("anaemia", "iron tablets"),
]

CUISINES: list[tuple[str, str]] = [
    ("Thai food", "green curry"),
    ("Mexican food", "tacos al pastor"),
    ("Japanese food", "ramen"),
    ("Italian food", "carbonara"),
    ("Indian food", "lamb rogan josh"),
    ("Lebanese food", "halloumi and flatbreads"),
    ("Korean food", "bibimbap"),
    ("Ethiopian food", "injera with lentils"),
    ("Greek food", "moussaka"),
    ("Vietnamese food", "pho"),
    ("Spanish food", "patatas bravas"),
    ("Chinese food", "dumplings"),
]

MUSIC: list[tuple[str, str]] = [
    ("jazz", "Miles Davis"),
    ("country", "Dolly Parton"),
    ("hip hop", "Kendrick Lamar"),
    ("classical", "Debussy"),
    ("folk", "Joni Mitchell"),
    ("heavy metal", "Metallica"),
    ("reggae", "Bob Marley"),
    ("techno", "Jeff Mills"),
    ("indie rock", "Arctic Monkeys"),
    ("soul", "Aretha Franklin"),
    ("k-pop", "BTS"),
    ("opera", "Puccini"),
]

LANGUAGES = ["Japanese", "Spanish", "Italian", "Portuguese", "German", "Korean", "Welsh", "Mandarin", "Greek", "Dutch"]

TEAMS = [
    "Arsenal",
    "Celtic",
    "Liverpool",
    "Leeds United",
    "Everton",
    "Newcastle",
    "Bristol City",
    "Aston Villa",
    "Hibs",
]

CARS = [
    "an old blue Volvo estate",
    "a red Fiat Panda",
    "a secondhand Toyota Yaris",
    "a battered Land Rover",
    "a white Tesla Model 3",
    "a green Mini Cooper",
    "a grey Skoda Octavia",
    "a silver Honda Jazz",
    "an electric Kia Niro",
    "a VW camper van",
]

COMMUTES = [
    ("cycle", "I cycle to work, it's about twenty minutes along the canal"),
    ("train", "I get the train to work every morning, forty minutes each way"),
    ("walk", "I walk to work, it's only fifteen minutes"),
    ("drive", "I drive to work, the traffic on the ring road is awful"),
    ("bus", "I take the number 12 bus to work, door to door"),
    ("scooter", "I ride my electric scooter to work"),
]

DIETS = ["vegetarian", "vegan", "pescatarian", "gluten-free", "keto", "dairy-free"]

DESTINATIONS = [
    "Lisbon", "Iceland", "Japan", "the Amalfi coast", "Crete", "Morocco", "Vietnam", "the Scottish Highlands",
    "New York", "Norway", "Sicily", "Croatia", "Peru", "Cornwall", "the Lake District", "Mexico City",
]  # fmt: skip

BANDS = [
    "Fleetwood Mac tribute band", "Coldplay", "the Arctic Monkeys", "Florence and the Machine", "Radiohead",
    "Taylor Swift", "the Chemical Brothers", "Elbow", "Wet Leg", "Fontaines D.C.", "Beyonce", "Bon Iver",
    "the Killers", "Little Simz", "Massive Attack", "Idles",
]  # fmt: skip
VENUES = [
    "the O2",
    "the Academy",
    "the Roundhouse",
    "the Barrowland",
    "a tiny pub venue",
    "the arena",
    "a field festival",
]
MOUNTAINS = [
    "Snowdon", "Ben Nevis", "Scafell Pike", "Pen y Fan", "Helvellyn", "Arthur's Seat", "Kinder Scout", "Cader Idris",
    "Skiddaw", "Catbells", "Roseberry Topping", "the Old Man of Coniston",
]  # fmt: skip
RESTAURANTS = [
    "Dishoom", "the Ivy", "a little tapas place called Bravas", "Hakkasan", "the new Georgian place", "Wagamama",
    "a Sichuan place called Red Lantern", "the Fish Shack", "Pizza Pilgrims", "a steakhouse called Hawksmoor",
    "an Ethiopian cafe called Lalibela", "the Thai place on the corner",
]  # fmt: skip
DISHES = ["black dal", "lamb shoulder", "octopus", "duck", "dumplings", "tiramisu", "crab linguine", "ribeye", "laksa"]
FILMS = [
    "Dune Part Two", "Oppenheimer", "Past Lives", "Barbie", "Poor Things", "Inside Out 2", "The Holdovers",
    "Killers of the Flower Moon", "Wicked", "Conclave", "Gladiator II", "The Wild Robot", "Anora", "Civil War",
]  # fmt: skip
SHOWS = [
    "Slow Horses", "The Bear", "Severance", "Bake Off", "Succession", "Only Murders in the Building", "Shogun",
    "Ted Lasso", "The Traitors", "Blue Lights", "Taskmaster", "Fallout",
]  # fmt: skip

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Small talk: mentions no persona fact, but shares words with many questions ("work", "my", names).
USER_SMALL_TALK = [
    "It's been raining all day here, I'm soaked.",
    "I slept terribly last night, the neighbours were having a party.",
    "Work was pretty hectic today, back to back meetings.",
    "Not much going on, just tidying the flat.",
    "I'm thinking about what to cook for dinner tonight.",
    "The traffic this morning was unbelievable.",
    "I finally finished that book I was reading, the ending was a bit flat.",
    "I've got a bit of a cold coming on, I think.",
    "Can you believe it's nearly the weekend already?",
    "I spent the whole afternoon doing laundry and ironing.",
    "The boiler broke again so we had cold showers this morning.",
    "I've been trying to drink more water and less coffee.",
    "We had a power cut for about an hour this evening.",
    "I binge watched half a season of {show} last night.",
    "My phone screen cracked when I dropped it on the stairs.",
    "The supermarket was out of oat milk again, so annoying.",
    "I'm so tired, it's been a long week.",
    "Just got back from the gym, I'm aching all over.",
    "I had a really weird dream about being late for an exam.",
    "Honestly I could do with a holiday right now.",
    "It's so sunny today, I had lunch outside.",
    "I need to remember to call the dentist tomorrow.",
    "My inbox is out of control, hundreds of unread emails.",
    "The train was cancelled so I worked from home.",
    "I'm trying to save money this month, no takeaways.",
    "I burnt the toast and set off the smoke alarm.",
    "We're having a quiet night in with a pizza.",
    "I've started going to bed earlier, it really helps.",
    "There's a new coffee place round the corner, it's quite good.",
    "I spent ages on the phone to the bank today.",
    "The garden is a total mess after the storm.",
    "My back is stiff from sitting at the desk all day.",
    "I tried a new recipe tonight and it actually worked.",
    "The heating bill this month was eye-watering.",
    "I'm watching {show} at the moment, it's gripping.",
    "Had a lazy Sunday, didn't even get dressed.",
    "I need a new pair of trainers, mine have holes in them.",
    "The car needs an MOT next week, I keep forgetting to book it.",
    "Our landlord finally fixed the leaking tap.",
    "I went for a long walk by the river to clear my head.",
    "I ate far too much at lunch, I feel like a sloth.",
    "Work wants us back in the office three days a week now.",
    "It was freezing this morning, I had to scrape the windscreen.",
    "I had a long chat with my neighbour about the bins.",
    "I signed up for a free trial of a meal kit, just for fun.",
    "The kids next door were practising drums all evening.",
    "I'm trying to cut down on screen time before bed.",
    "Got stuck in a meeting that should have been an email.",
    "I had a lovely long bath and an early night.",
    "I can't decide whether to repaint the living room.",
]

# Chatter naming someone the user knows: names recur across many memories.
USER_NAME_CHATTER = [
    "{person} sent me a hilarious video this morning.",
    "Had coffee with {person} today, we talked for hours.",
    "{person} is coming round for dinner on Friday.",
    "I haven't heard from {person} in ages, I should text them.",
    "{person} and I went for a walk in the park.",
    "{person} recommended {show}, so I started watching it.",
    "I helped {person} move some furniture at the weekend.",
    "{person} keeps asking me to join their book club.",
    "Bumped into {person} at the supermarket, small world.",
    "{person} lent me a great book about the Romans.",
    "I'm meeting {person} for lunch tomorrow.",
    "{person} was in a bad mood today, not sure why.",
    "{person} beat me at cards again last night.",
    "{person} is thinking of getting a tattoo, I said go for it.",
    "I picked {person} up from the airport this evening.",
]

# Facts about other people: hard negatives for questions about the user's own facts.
USER_OTHERS_FACTS = [
    "{person} just got a job as a {job}, I'm really pleased for them.",
    "{person} has a {breed} called {pet}, it's adorable.",
    "{person} is moving to {city} next year.",
    "{person} is allergic to {allergy}, so we always check menus.",
    "{person} loves {cuisine}, we always end up eating it.",
    "{person} has been getting into {hobby} lately.",
    "{person} just bought {car}.",
    "{person} went to {destination} on holiday and loved it.",
    "{person} has {condition}, poor thing.",
    "{person} is learning {language} for work.",
]

ASSISTANT_REPLIES = [
    "That sounds like a lot. How are you feeling about it?",
    "Oh no, I'm sorry to hear that.",
    "Ha, that made me smile.",
    "That sounds lovely, I'm glad you enjoyed it.",
    "Fair enough! Anything else on your mind today?",
    "I hope tomorrow is a calmer day for you.",
    "That's great news!",
    "Good for you, that takes some effort.",
    "Interesting, tell me more if you like.",
    "I can imagine. Do you want some ideas to make it easier?",
    "That's a nice way to spend the evening.",
    "Oof, that sounds frustrating.",
    "Make sure you get some rest.",
    "I'll keep that in mind.",
    "Sounds like a plan.",
    "That's really thoughtful of you.",
    "Wow, what a day.",
    "I'm here if you want to talk it through.",
    "Nice, little wins like that count.",
    "Sounds like you deserve a treat.",
]

# Sentences people wrap around what they mean to say: a turn is rarely one clean statement.
ASIDES = [
    "Anyway, I'm rambling.",
    "It's been one of those weeks.",
    "I still haven't had lunch, by the way.",
    "The weather has been grim all week.",
    "Sorry, I'm a bit distracted today.",
    "Not much else to report really.",
    "I need an early night tonight.",
    "My phone is about to die, so quickly:",
    "I keep forgetting to reply to my emails.",
    "Honestly, what a day.",
    "Oh, and the washing machine is making that noise again.",
    "I've had about four coffees already.",
    "Can't believe how fast this year is going.",
    "Sorry, random thought.",
    "Anyway, enough about that.",
    "I'm sat on the sofa with a cup of tea.",
    "The neighbours are doing DIY again, so it's noisy here.",
    "Work has been a lot lately.",
    "I'm so behind on everything at home.",
    "My back is killing me today.",
    "Ha, you'll laugh at this.",
    "Don't judge me.",
    "I'll tell you more another time.",
    "It's freezing in the flat today.",
    "Long story short.",
    "Oh, and I finally cleaned the oven.",
    "I nearly forgot to mention it.",
    "The train home was packed again.",
    "Weekend can't come soon enough.",
    "I should really be doing the ironing.",
    "The kids next door are screaming in the garden.",
    "I've been meaning to tell you.",
    "Not that it matters much.",
    "Anyway, how are you?",
    "I'm trying to be more organised this month.",
    "Funny how things work out.",
    "It's been a funny old week.",
    "I'm eating crisps for dinner, don't tell anyone.",
    "The heating is on the blink again.",
    "My to-do list is a mile long.",
]

ASSISTANT_FOLLOW_UPS = [
    "Anything fun planned for the weekend?",
    "How did you sleep last night?",
    "Have you eaten yet today?",
    "Is work any calmer this week?",
    "Did you manage to get outside today?",
    "What's the rest of your day looking like?",
    "How's everyone at home?",
    "Want me to remind you of anything later?",
    "Shall we make a plan for tomorrow?",
    "Are you taking some time for yourself?",
]
