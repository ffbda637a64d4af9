"""Personal facts a user tells the assistant, each with the ways it is said and the ways it is asked about.

Templates use the persona's slots ({sister}, {job}, ...). A fact is told either
directly ("My sister Julia...") or as the answer to the assistant's question, one
turn after a lead-in that carries the subject's words ("I'm off to my sister's" /
"What's she called?" / "Julia."). Direct questions share the statement's key
words; paraphrases share few of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """One kind of personal fact and its wording."""

    key: str
    statements: tuple[str, ...]  # the user says the fact outright
    lead_ins: tuple[str, ...]  # the user raises the subject without the fact
    prompts: tuple[str, ...]  # the assistant asks for the fact
    answers: tuple[str, ...]  # the user's reply: the fact, few of the subject's words
    direct_questions: tuple[str, ...]
    paraphrases: tuple[str, ...]
    answer: str
    chatter: tuple[str, ...] = ()  # the user talks about the subject without giving the fact: near misses


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="sister_name",
        statements=(
            "My sister {sister} is coming to stay with us this weekend.",
            "I had a long phone call with my sister {sister} last night.",
            "My little sister {sister} just passed her driving test!",
        ),
        lead_ins=(
            "I'm driving over to my sister's place for dinner later.",
            "My sister has been really stressed lately, I'm worried about her.",
            "I'm helping my sister paint her new flat this weekend.",
        ),
        prompts=("That's kind of you. What's your sister called?", "Aw. What's her name, by the way?"),
        answers=(
            "{sister}. She's two years older than me.",
            "Her name's {sister}.",
            "{sister}, she's the baby of the family.",
        ),
        direct_questions=("What's my sister's name?", "What is my sister called?"),
        paraphrases=("Who's my female sibling?", "What do I call my parents' daughter?"),
        answer="{sister}",
        chatter=(
            "My sister and I watched a terrible film last night.",
            "My sister's coming round later, I need to tidy up.",
            "I bought my sister a birthday present, I hope she likes it.",
        ),
    ),
    Topic(
        key="brother_city",
        statements=(
            "My brother {brother} lives in {brother_city}, I don't see him enough.",
            "I'm flying to {brother_city} to visit my brother {brother} next month.",
        ),
        lead_ins=(
            "I really miss my brother, we used to be so close.",
            "My brother rang me this morning out of the blue.",
        ),
        prompts=("Where does he live these days?", "Is he far away? Where is he based?"),
        answers=(
            "He's in {brother_city} now, it's a long way.",
            "{brother_city}. He moved there for a girl, years ago.",
        ),
        direct_questions=("Where does my brother live?", "Which city is my brother in?", "Where does {brother} live?"),
        paraphrases=("Where would I have to travel to see my male sibling?", "Where's {brother} based?"),
        answer="{brother_city}",
        chatter=(
            "My brother sent me a photo of his new kitchen.",
            "My brother and I are planning mum's seventieth.",
            "My brother's always been the sporty one in the family.",
        ),
    ),
    Topic(
        key="partner_name",
        statements=(
            "My {partner_role} {partner} surprised me with breakfast in bed today.",
            "{partner}, my {partner_role}, is away on a work trip all week.",
        ),
        lead_ins=(
            "My {partner_role} and I had a silly argument about the washing up.",
            "I'm planning a surprise for my {partner_role}.",
        ),
        prompts=("How sweet. What's your {partner_role}'s name?", "Oh? Remind me what your {partner_role} is called?"),
        answers=("{partner}. We've been together for eight years.", "It's {partner}."),
        direct_questions=(
            "What's my {partner_role}'s name?",
            "What is my {partner_role} called?",
            "Is {partner} my {partner_role}?",
        ),
        paraphrases=("Who am I in a relationship with?", "Who's my other half?"),
        answer="{partner}",
        chatter=(
            "My {partner_role} cooked dinner tonight, it was lovely.",
            "My {partner_role} keeps stealing the duvet.",
            "Date night with my {partner_role} on Friday, finally.",
        ),
    ),
    Topic(
        key="kid",
        statements=(
            "Our {kid_role} {kid} turned {kid_age} last week, we had a party in the garden.",
            "{kid}, my {kid_role}, started at a new nursery today.",
        ),
        lead_ins=("The school run this morning was chaos.", "My {kid_role} has been refusing to eat vegetables."),
        prompts=("Kids! How old is your {kid_role} now?", "Ha. What's your little one called?"),
        answers=("{kid} is {kid_age}, going on fifteen.", "{kid}. {kid_age} years old and full of opinions."),
        direct_questions=("How old is my {kid_role}?", "What's my {kid_role}'s name?", "How old is {kid} now?"),
        paraphrases=("How old is my child?", "What's the name of my kid?"),
        answer="{kid}, {kid_age}",
        chatter=(
            "My {kid_role} drew a picture of the whole family today.",
            "Parents evening went well, the teacher was lovely.",
            "My {kid_role} wants a trampoline for the garden.",
        ),
    ),
    Topic(
        key="pet",
        statements=(
            "Our {pet_kind} {pet} chewed through another pair of my shoes.",
            "I took our {pet_kind} {pet} to the vet for her jabs today, she's a {pet_breed}.",
            "{pet} the {pet_kind} has been sleeping on my laptop all morning.",
        ),
        lead_ins=(
            "I've got a new furry family member at home!",
            "The pet insurance renewal came through, it's gone up again.",
        ),
        prompts=("Lovely! What kind of pet, and what's its name?", "Who's the lucky animal? What's their name?"),
        answers=("A {pet_breed} called {pet}.", "{pet}! A little {pet_breed}, full of beans."),
        direct_questions=("What's my {pet_kind}'s name?", "What is my pet called?", "What breed is {pet}?"),
        paraphrases=("What animal do I have at home, and what's it called?", "Who's my furry companion?"),
        answer="{pet} ({pet_breed})",
        chatter=(
            "The {pet_kind} needs a trip to the vet soon.",
            "Pet food has got so expensive.",
            "The {pet_kind} was sick on the rug again this morning.",
        ),
    ),
    Topic(
        key="job",
        statements=(
            "I work as a {job} at {workplace}.",
            "My job is exhausting some days, being a {job} is no joke.",
            "I've worked as a {job} for about {years} years now.",
        ),
        lead_ins=("Work was brutal today, I'm knackered.", "I got some nice feedback from my manager today."),
        prompts=("Glad to hear it. What is it you do, if you don't mind me asking?", "What's your role there?"),
        answers=("I'm a {job}, at {workplace}.", "{job}. Long hours, but rewarding."),
        direct_questions=("What's my job?", "Where do I work?"),
        paraphrases=("What do I do for a living?", "What's my line of work?", "How do I earn my money?"),
        answer="{job} at {workplace}",
        chatter=(
            "Work is manic at the moment, everyone is off sick.",
            "My manager wants me to take on another project.",
            "Payday tomorrow, thank goodness.",
        ),
    ),
    Topic(
        key="hometown",
        statements=(
            "I'm originally from {hometown}, by the sea.",
            "Going back to {hometown}, where I'm from originally, always makes me nostalgic.",
        ),
        lead_ins=(
            "I was looking at old photos of where I grew up.",
            "My accent came out strongly on the phone to my mum today.",
        ),
        prompts=("Where's home originally?", "Where are you from originally?"),
        answers=("{hometown}, born and raised.", "{hometown}. I left when I was eighteen."),
        direct_questions=("Where am I originally from?", "Where am I from?"),
        paraphrases=("Where did I spend my childhood?", "Which place was I born and raised in?"),
        answer="{hometown}",
        chatter=("I miss the sea sometimes.", "I might visit my old school friends over the summer."),
    ),
    Topic(
        key="allergy",
        statements=(
            "I'm allergic to {allergy}, so I have to be careful.",
            "I had a reaction to {allergy} again, my allergy is getting worse.",
        ),
        lead_ins=("I had to send my food back at the restaurant today.", "I always carry an EpiPen, just in case."),
        prompts=("Oh dear, what are you allergic to?", "What do you react to?"),
        answers=("{allergy}. Even a tiny bit sets me off.", "It's {allergy}, unfortunately."),
        direct_questions=("What am I allergic to?", "Do I have any allergies?"),
        paraphrases=(
            "Is there anything I need to avoid so I don't react badly?",
            "What could make me come out in hives?",
        ),
        answer="{allergy}",
        chatter=("I have to read every food label so carefully.", "The hay fever season is starting, ugh."),
    ),
    Topic(
        key="condition",
        statements=(
            "I've got {condition}, so I take {medication}.",
            "My {condition} flared up again, I'm on {medication} for it, my usual medication.",
        ),
        lead_ins=("I had my check-up at the GP today.", "Picked up my repeat prescription this afternoon."),
        prompts=("What's the prescription for?", "How did it go? Is it something ongoing?"),
        answers=("It's for my {condition}. I take {medication}.", "{medication}, for {condition}. It's under control."),
        direct_questions=("What do I take for my {condition}?", "What medication am I on for {condition}?"),
        paraphrases=("Do I have any ongoing health problems?", "What pills am I on?"),
        answer="{condition}, {medication}",
        chatter=(
            "I need to book a follow-up appointment with the doctor.",
            "The pharmacy queue was out the door this morning.",
        ),
    ),
    Topic(
        key="cuisine",
        statements=(
            "I absolutely love {cuisine}, especially {dish}.",
            "{cuisine} is my favourite, I could eat {dish} every day.",
        ),
        lead_ins=("I'm starving and can't decide what to order.", "We're trying to pick a restaurant for my birthday."),
        prompts=("What's your favourite kind of food?", "What would you order if you could have anything?"),
        answers=("{dish}, always. {cuisine} wins every time.", "Anything {cuisine}, but mostly {dish}."),
        direct_questions=("What's my favourite food?", "What food do I love?"),
        paraphrases=("What should we order for me tonight if I get to choose?", "Which dish makes me happiest?"),
        answer="{cuisine}, {dish}",
        chatter=(
            "I'm trying to cook more at home instead of getting takeaways.",
            "We found a great new restaurant near the station.",
        ),
    ),
    Topic(
        key="music",
        statements=(
            "I've been listening to loads of {genre} lately, mostly {artist}.",
            "{artist} is my absolute favourite, I'm a huge {genre} fan.",
        ),
        lead_ins=("I made a new playlist for the car.", "I've had headphones on all day to get through work."),
        prompts=("Nice, what's on it?", "What have you been listening to?"),
        answers=("{artist} mostly. I'm obsessed.", "Lots of {genre}. {artist} on repeat."),
        direct_questions=("Who's my favourite {genre} artist?", "Which {genre} music do I listen to most?"),
        paraphrases=("What should you play me if I'm in a good mood?", "Which songs do I put on in the car?"),
        answer="{genre}, {artist}",
        chatter=("I want to go to more gigs this year.", "The radio in the car is broken, so silence all the way."),
    ),
    Topic(
        key="birthday",
        statements=(
            "My birthday is on {birthday}, I'm hoping for a quiet one.",
            "It'll be my birthday on {birthday}, don't let me forget to book a table.",
        ),
        lead_ins=("I'm turning another year older soon, ugh.", "My mum asked what I want as a present."),
        prompts=("When's the big day?", "When is your birthday?"),
        answers=("{birthday}.", "It's {birthday}, same day as my grandad."),
        direct_questions=("When is my birthday?", "What date is my birthday?"),
        paraphrases=("When should you wish me many happy returns?", "On which day do I get a year older?"),
        answer="{birthday}",
        chatter=("I hate making a fuss about birthdays.", "My mum always makes a cake for everyone in the family."),
    ),
    Topic(
        key="language",
        statements=(
            "I'm learning {language}, I do twenty minutes on Duolingo every day.",
            "My {language} lessons are going well, learning it is fun and I can order food now.",
        ),
        lead_ins=("I've been trying to learn a new language.", "I started evening classes at the college this term."),
        prompts=("Which language?", "Oh, what are you studying?"),
        answers=("{language}! It's hard but fun.", "{language}, for our trip next year."),
        direct_questions=("Which language am I learning?", "What language do I study?"),
        paraphrases=("What am I practising on Duolingo?", "Which foreign tongue am I trying to pick up?"),
        answer="{language}",
        chatter=("Learning vocabulary is so hard at my age.", "I watched a film with subtitles to practise listening."),
    ),
    Topic(
        key="team",
        statements=("I've supported {team} since I was a kid.", "{team} lost again, supporting them is painful."),
        lead_ins=("The football was on at the pub tonight.", "I'm in a terrible mood after the match."),
        prompts=("Who do you support?", "Which team are you into?"),
        answers=("{team}, for my sins.", "{team}. Always have, always will."),
        direct_questions=("Which team do I support?", "What football team am I a fan of?"),
        paraphrases=("Whose results ruin my weekend?", "Which club do I follow?"),
        answer="{team}",
        chatter=("The season has been a total disaster so far.", "Got tickets for the match next Saturday."),
    ),
    Topic(
        key="commute",
        statements=("{commute_sentence}.",),
        lead_ins=("Getting to work was a nightmare this morning.",),
        prompts=("How do you usually get in?",),
        answers=("{commute_sentence}.",),
        direct_questions=("How do I get to work?", "How do I commute?"),
        paraphrases=("What's my usual journey into the office?", "How do I travel in every morning?"),
        answer="{commute}",
        chatter=("The roadworks on my way in are never going to end.", "I listen to podcasts on the way to work."),
    ),
    Topic(
        key="best_friend",
        statements=(
            "My best friend {best_friend} and I have known each other since school.",
            "{best_friend} is my best mate, we talk every day.",
        ),
        lead_ins=(
            "I really needed a chat with my best friend today.",
            "I'm planning a surprise party for my closest friend.",
        ),
        prompts=("Good friends are gold. Who is that?", "What's their name?"),
        answers=("{best_friend}. We've been friends for twenty years.", "{best_friend}, the funniest person I know."),
        direct_questions=("Who's my best friend?", "What's my best friend's name?", "How do I know {best_friend}?"),
        paraphrases=("Who's my closest mate?", "Who have I known since school and talk to every day?"),
        answer="{best_friend}",
        chatter=("I had the best catch-up with an old friend today.", "My friends are all so busy with kids now."),
    ),
    Topic(
        key="sister_job",
        statements=(
            "My sister {sister} works as a {sister_job}.",
            "{sister} got promoted, she's a senior {sister_job} now.",
        ),
        lead_ins=("My sister's been working crazy hours.", "My sister is thinking about changing careers."),
        prompts=("What does she do?", "What's her job?"),
        answers=("She's a {sister_job}.", "{sister_job}. She's brilliant at it."),
        direct_questions=("What does my sister do for work?", "What's my sister's job?"),
        paraphrases=("What's {sister}'s profession?", "How does {sister} earn a living?"),
        answer="{sister_job}",
        chatter=("My sister is so good at her job, honestly.", "My sister had a big interview today."),
    ),
    Topic(
        key="trip",
        statements=(
            "We're going to {destination} in {trip_month}, I can't wait.",
            "Booked it! {destination} in {trip_month}.",
        ),
        lead_ins=("We finally booked our summer holiday!", "I've been looking at flights all evening."),
        prompts=("Exciting! Where are you off to?", "Where are you thinking of going?"),
        answers=("{destination}, in {trip_month}.", "{destination}! We leave in {trip_month}."),
        direct_questions=("Where am I going on holiday?", "Where's my trip in {trip_month}?"),
        paraphrases=("Where am I travelling to this year?", "What's my next getaway?"),
        answer="{destination} in {trip_month}",
        chatter=("I need to renew my passport before we travel.", "I should start packing soon."),
    ),
)

# Facts that change later: the question asks for the current value (the newer turn).
# Each: (topic key, statement of the old value, statement of the new value, questions).
UPDATES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "city",
        (
            "I live in {city}, it's a great place.",
            "I've lived in {city} for about ten years now.",
            "Life in {city} is expensive but I love it here.",
        ),
        (
            "We finally moved to {city2}! The new flat is tiny but lovely.",
            "Moving day! All our boxes are in the new place in {city2}.",
            "Living in {city2} now, the move went fine.",
        ),
        ("Where do I live?", "Which city do I live in now?", "Where's home for me these days?"),
    ),
    (
        "job_change",
        ("I work as a {job} at {workplace}.", "I've been a {job} for about {years} years now."),
        (
            "Today was my first day in my new job as a {job2} at {workplace2}!",
            "I handed in my notice, I'm starting as a {job2} at {workplace2} on Monday.",
        ),
        ("What's my job now?", "Where do I work these days?", "What do I do for a living now?"),
    ),
    (
        "car",
        ("I drive {car}, it's falling apart but I love it.", "My car is {car}."),
        ("I sold the old car and bought {car2}!", "Picked up my new car today, {car2}."),
        ("What car do I drive?", "What am I driving these days?"),
    ),
    (
        "diet",
        ("I've been {diet} for a couple of years.", "I'm {diet}, so dinner out can be tricky."),
        ("I've decided to go {diet2} from now on.", "New year, new diet: I'm {diet2} now."),
        ("What diet am I on?", "What can't I eat these days?"),
    ),
)

# Things that happen on the day of a session ("today"), asked with "when".
# Each: (key, statements, questions); the answer is the session's date.
EVENTS_WHEN: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "adoption",
        ("We picked up {pet} from the rescue centre today!", "Big day: {pet} came home with us today."),
        ("When did we get {pet}?", "When did I adopt my {pet_kind}?"),
    ),
    (
        "injury",
        ("I sprained my ankle playing five-a-side today, ouch.", "Fell off my bike this morning and hurt my wrist."),
        ("When did I get injured?", "When did I hurt myself?"),
    ),
    (
        "exam",
        ("I passed my driving test today, first time!", "Got my results today, I passed the exam!"),
        ("When did I pass my test?", "When did I get my results?"),
    ),
    (
        "proposal",
        ("{partner} proposed today, we're engaged!", "We got engaged this afternoon on the beach."),
        ("When did I get engaged?", "When did {partner} propose?"),
    ),
)

# Events that repeat with different details: the question names a month or date.
# Each: (key, statement, question by month, question by day, the answer slot).
REPEATED_EVENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "concert",
        (
            "Just got home from seeing {band} at {venue}, what a gig!",
            "{band} live tonight, I lost my voice singing along.",
        ),
        (
            "Which band did I see live in {month} {year}?",
            "Who did I see in concert on {day} {month}?",
            "What gig did I go to in {month}?",
        ),
        "band",
    ),
    (
        "hike",
        (
            "Climbed {mountain} today with {friend}, my legs are jelly.",
            "We hiked up {mountain} this morning, the views were unreal.",
        ),
        (
            "Which mountain did I climb in {month}?",
            "Where did I go hiking on {day} {month} {year}?",
            "What did I climb on {weekday} {day} {month}?",
        ),
        "mountain",
    ),
    (
        "restaurant",
        (
            "Dinner at {restaurant} tonight, the {dish} was incredible.",
            "We tried {restaurant} this evening, I'd go back for the {dish}.",
        ),
        (
            "Where did I eat out in {month} {year}?",
            "Which restaurant did I try on {day} {month}?",
            "Where did I have dinner on {weekday} {day} {month}?",
        ),
        "restaurant",
    ),
    (
        "film",
        (
            "Saw {film} at the cinema tonight, really enjoyed the film.",
            "Went to see {film} this afternoon, bit long but good.",
        ),
        (
            "What film did I watch in {month} {year}?",
            "Which movie did I see on {day} {month}?",
            "What did I see at the cinema in {month}?",
        ),
        "film",
    ),
)

# Questions wrapped the way people talk to a voice assistant.
QUESTION_WRAPPERS = (
    *["{q}"] * 9,
    "Hey, {ql}",
    "Remind me, {ql}",
    "Quick question: {ql}",
    "Sorry, I've forgotten: {ql}",
    "{q} I can't remember.",
    "Do you know {ql}",
    "{q} Just checking.",
)

# Little happenings about the people and things a user talks about again and again.
# Each: (key, statements, questions, details); {detail} is what the question asks for,
# and the question names the person or thing plus a word of the happening: the many
# other anecdotes about the same subject are near misses for a dense ranking.
ANECDOTES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "pet_stole",
        (
            "{pet} stole {detail} off the kitchen counter this morning, cheeky thing.",
            "Turned my back for a second and {pet} had nicked {detail} from the kitchen.",
        ),
        ("What did {pet} steal from the kitchen?", "What did {pet} nick?"),
        ("a whole sausage roll", "half a pizza", "a block of cheese", "the Sunday roast chicken", "a tray of brownies"),
    ),
    (
        "pet_vet",
        ("The vet says {pet} has {detail}, poor thing.", "Back from the vet with {pet}: it's {detail}."),
        ("What did the vet say was wrong with {pet}?", "What did {pet} have at the vet?"),
        ("an ear infection", "a sprained paw", "a bad tooth", "fleas", "a tummy bug"),
    ),
    (
        "kid_school",
        (
            "{kid} got a gold star for {detail} at school today!",
            "So proud, {kid}'s teacher praised {kid} for {detail}.",
        ),
        ("What did {kid} get praised for at school?", "What did {kid}'s teacher say {kid} was good at?"),
        ("reading aloud", "a dinosaur project", "kindness to a new classmate", "a maths quiz", "a painting of the sea"),
    ),
    (
        "kid_wants",
        (
            "{kid} has decided they want to be {detail} when they grow up.",
            "Now {kid} says they'll be {detail} when they're big.",
        ),
        ("What does {kid} want to be when they grow up?", "What job does {kid} dream of?"),
        ("an astronaut", "a vet", "a football player", "a chef", "a train driver"),
    ),
    (
        "partner_gift",
        (
            "My {partner_role} bought me {detail} for no reason at all, so sweet.",
            "Came home to a surprise from my {partner_role}: {detail}!",
        ),
        ("What did my {partner_role} surprise me with?", "What present did my {partner_role} get me?"),
        ("a pair of concert tickets", "a new watch", "a bunch of sunflowers", "a cookbook", "a cashmere scarf"),
    ),
    (
        "sister_moving",
        ("{sister} is thinking of moving to {detail} next year.", "{sister} told me she might relocate to {detail}."),
        ("Where is {sister} thinking of moving?", "Where might {sister} relocate to?"),
        ("Canada", "Australia", "Scotland", "Spain", "the countryside"),
    ),
    (
        "brother_pet",
        (
            "{brother} got a new {detail}, he sends me photos every day.",
            "{brother}'s family adopted a {detail} last weekend.",
        ),
        ("What pet did {brother} get?", "What animal did {brother} adopt?"),
        ("golden retriever puppy", "pair of guinea pigs", "kitten", "bearded dragon", "parrot"),
    ),
    (
        "manager",
        (
            "We got a new manager at work called {detail}, seems nice so far.",
            "Our new boss, {detail}, started today at work.",
        ),
        ("What's my new manager called?", "Who's the new boss at work?"),
        ("Gareth", "Louise", "Mr Okafor", "Fatima", "Stuart"),
    ),
    (
        "lost_item",
        ("I lost my {detail} on the bus today, I'm gutted.", "Left my {detail} on the bus this morning, so annoying."),
        ("What did I lose on the bus?", "What did I leave on the bus?"),
        ("favourite umbrella", "reading glasses", "gym bag", "headphones", "house keys"),
    ),
    (
        "book",
        (
            "I'm reading {detail} at the moment, can't put it down.",
            "Just started {detail}, the book everyone's talking about.",
        ),
        ("What book am I reading?", "Which book did I just start?"),
        (
            "The Midnight Library",
            "Tomorrow, and Tomorrow, and Tomorrow",
            "Lessons in Chemistry",
            "Wolf Hall",
            "Demon Copperhead",
        ),
    ),
    (
        "friend_cooked",
        (
            "{friend} cooked {detail} for us last night, {friend} is such a good cook.",
            "Dinner at {friend}'s place: {detail}, amazing.",
        ),
        ("What did {friend} cook for us?", "What did I eat at {friend}'s place?"),
        ("a massive paella", "homemade lasagne", "a Sri Lankan curry", "beef wellington", "a mezze spread"),
    ),
    (
        "daytrip",
        (
            "{best_friend} and I had a day out at {detail}, so much fun.",
            "Went to {detail} for the day with {best_friend}.",
        ),
        ("Where did I go for a day out with {best_friend}?", "Where did {best_friend} and I spend the day?"),
        ("the seaside", "a castle", "the zoo", "a vineyard", "the Science Museum"),
    ),
    (
        "colleague_leaving",
        (
            "{colleague} from work is leaving to {detail}, I'll miss them.",
            "Big news at work: {colleague} is off to {detail}.",
        ),
        ("Why is {colleague} leaving work?", "Where is {colleague} off to?"),
        (
            "travel around South America",
            "start a bakery",
            "do a PhD",
            "join a rival company",
            "look after their new baby",
        ),
    ),
    (
        "garden",
        (
            "The {detail} in the garden finally came up, I'm thrilled.",
            "Look at my garden: the {detail} are flowering at last.",
        ),
        ("What finally came up in my garden?", "What's flowering in the garden?"),
        ("sunflowers", "tomatoes", "tulips", "sweet peas", "strawberries"),
    ),
    (
        "injury_other",
        (
            "{partner} hurt their {detail} playing tennis, so I'm doing all the chores.",
            "{partner} is limping around with a bad {detail} after tennis.",
        ),
        ("What did {partner} hurt playing tennis?", "Which body part did {partner} injure?"),
        ("shoulder", "ankle", "knee", "wrist", "back"),
    ),
    (
        "neighbour",
        (
            "Our neighbour {friend3} is building {detail} in their garden, it's so noisy.",
            "{friend3} next door has started building {detail}.",
        ),
        ("What is {friend3} building next door?", "What's the neighbour building in the garden?"),
        ("a huge shed", "an extension", "a treehouse", "a pizza oven", "a pond"),
    ),
)
